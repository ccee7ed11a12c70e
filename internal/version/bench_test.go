package version

import "testing"

func benchmarkCompare(b *testing.B, c Comparator, x, y string) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Compare(x, y); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompareDeb(b *testing.B) {
	benchmarkCompare(b, Deb{}, "1:9.18.28-1~deb12u2", "1:9.18.28-1+deb12u1")
}
func BenchmarkCompareApk(b *testing.B) { benchmarkCompare(b, Apk{}, "3.1.4_p2-r3", "3.1.4_rc1-r0") }
func BenchmarkCompareRPM(b *testing.B) {
	benchmarkCompare(b, RPM{}, "0:5.14.0-284.11.1.el9_2", "5.14.0-284.18.1.el9_2")
}
func BenchmarkCompareGo(b *testing.B) {
	benchmarkCompare(b, GoSemver{}, "0.0.0-20230101000000-abcdefabcdef", "v0.7.0")
}
func BenchmarkCompareNpm(b *testing.B) { benchmarkCompare(b, Npm{}, "4.17.15", "4.17.21") }
func BenchmarkComparePEP440(b *testing.B) {
	benchmarkCompare(b, PEP440{}, "2.28.1", "2.31.0rc1")
}
func BenchmarkCompareGem(b *testing.B)   { benchmarkCompare(b, Gem{}, "1.13.10", "1.14.0.rc1") }
func BenchmarkCompareMaven(b *testing.B) { benchmarkCompare(b, Maven{}, "2.14.0", "2.14.0-rc1") }
func BenchmarkCompareComposer(b *testing.B) {
	benchmarkCompare(b, Composer{}, "v5.4.21", "5.4.22-RC1")
}
func BenchmarkCompareNuGet(b *testing.B)  { benchmarkCompare(b, NuGet{}, "13.0.1", "13.0.3-beta1") }
func BenchmarkCompareSemVer(b *testing.B) { benchmarkCompare(b, SemVer{}, "1.0.0-alpha.1", "1.0.0") }
