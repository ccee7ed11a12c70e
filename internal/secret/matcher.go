package secret

// keywordMatcher finds every occurrence of a set of ASCII keywords in one pass,
// case-insensitively: an Aho-Corasick automaton turned into a dense DFA over byte classes
// (each byte that occurs in some keyword, lower-cased, gets its own class; every other byte
// shares class 0, which always leads back to the root).
type keywordMatcher struct {
	class  [256]uint8
	nclass int
	next   []int32   // state*nclass + class -> state
	out    [][]int32 // state -> keyword indices ending here (including via suffix links)
	lens   []int     // keyword index -> length
}

func newKeywordMatcher(keywords []string) *keywordMatcher {
	m := &keywordMatcher{nclass: 1}
	for _, kw := range keywords {
		for i := 0; i < len(kw); i++ {
			b := lower(kw[i])
			if m.class[b] == 0 {
				if m.nclass == 255 {
					panic("secret: keywords use more than 254 distinct bytes")
				}
				m.class[b] = uint8(m.nclass)
				m.nclass++
			}
		}
	}
	// Upper-case letters share their lower-case class.
	for b := 'A'; b <= 'Z'; b++ {
		m.class[b] = m.class[b+('a'-'A')]
	}
	// The trie, with -1 for a missing edge.
	n := m.nclass
	gotoT := make([]int32, n)
	for i := range gotoT {
		gotoT[i] = -1
	}
	out := [][]int32{nil}
	for k, kw := range keywords {
		m.lens = append(m.lens, len(kw))
		s := int32(0)
		for i := 0; i < len(kw); i++ {
			c := int32(m.class[lower(kw[i])])
			if gotoT[s*int32(n)+c] < 0 {
				ns := int32(len(out))
				out = append(out, nil)
				for j := 0; j < n; j++ {
					gotoT = append(gotoT, -1)
				}
				gotoT[s*int32(n)+c] = ns
			}
			s = gotoT[s*int32(n)+c]
		}
		out[s] = append(out[s], int32(k))
	}
	states := len(out)
	fail := make([]int32, states)
	m.next = make([]int32, states*n)
	// Breadth-first: a state's failure link and row are known before its children's.
	queue := make([]int32, 0, states)
	for c := 0; c < n; c++ {
		if t := gotoT[c]; t > 0 {
			m.next[c] = t
			fail[t] = 0
			queue = append(queue, t)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		out[s] = append(out[s], out[fail[s]]...)
		for c := 0; c < n; c++ {
			t := gotoT[int(s)*n+c]
			if t > 0 && c != 0 {
				fail[t] = m.next[int(fail[s])*n+c]
				m.next[int(s)*n+c] = t
				queue = append(queue, t)
			} else {
				m.next[int(s)*n+c] = m.next[int(fail[s])*n+c]
			}
		}
	}
	m.out = out
	return m
}

func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + ('a' - 'A')
	}
	return b
}

// scan calls hit(keyword, start) for every occurrence of a keyword in data.
func (m *keywordMatcher) scan(data []byte, hit func(kw int, start int)) {
	n := int32(m.nclass)
	next, class, out := m.next, &m.class, m.out
	s := int32(0)
	for i, b := range data {
		s = next[s*n+int32(class[b])]
		if s != 0 && out[s] != nil {
			for _, k := range out[s] {
				hit(int(k), i+1-m.lens[k])
			}
		}
	}
}
