package dpkg

import (
	"bufio"
	"errors"
	"io"
)

// maxLine is the longest line kept. Real dpkg databases have lines of a few KiB at most
// (long Depends or Breaks fields); anything longer is dropped whole, never truncated, so a
// damaged file cannot make a cut-off value look valid.
const maxLine = 1 << 20

// lineReader yields the lines of a deb822 file one by one, with no limit on the length of
// the input lines it can step over (unlike bufio.Scanner, which stops at its buffer size).
type lineReader struct {
	r    *bufio.Reader
	n    int // number of the line last returned, from 1
	buf  []byte
	done bool
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next line without its line ending ("\n" or "\r\n"). tooLong is true when
// the line was longer than maxLine; the line is then empty. At the end of the input next
// returns io.EOF; other read errors are returned as they are. The line is only valid until
// the next call.
func (l *lineReader) next() (line []byte, tooLong bool, err error) {
	if l.done {
		return nil, false, io.EOF
	}
	l.buf = l.buf[:0]
	read := false
	for {
		frag, err := l.r.ReadSlice('\n')
		if len(frag) > 0 {
			read = true
		}
		if !tooLong {
			if len(l.buf)+len(frag) > maxLine+2 { // +2 leaves room for "\r\n"
				tooLong = true
				l.buf = l.buf[:0]
			} else {
				l.buf = append(l.buf, frag...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				return nil, false, err
			}
			l.done = true
			if !read {
				return nil, false, io.EOF
			}
		}
		l.n++
		if tooLong {
			return nil, true, nil
		}
		line = l.buf
		if n := len(line); n > 0 && line[n-1] == '\n' {
			line = line[:n-1]
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if len(line) > maxLine {
			return nil, true, nil
		}
		return line, false, nil
	}
}
