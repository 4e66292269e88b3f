package envvars

import "strings"

// Expand replaces the $(VAR) references in s with lookup's values, by the
// rules of a container's env, command and args:
//
//   - $(NAME) becomes NAME's value when lookup knows NAME, and stays as
//     written ("$(NAME)") when it does not;
//   - $$ is an escaped $: it becomes a single $ and starts no reference;
//   - a $ followed by anything else, an unclosed "$(" and a trailing $
//     are kept as they are.
func Expand(s string, lookup func(name string) (string, bool)) string {
	i := strings.IndexByte(s, '$')
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i >= 0 {
		b.WriteString(s[:i])
		rest := s[i+1:]
		switch {
		case rest == "":
			// A trailing $ is literal.
			b.WriteByte('$')
			s = ""
		case rest[0] == '$':
			b.WriteByte('$')
			s = rest[1:]
		case rest[0] == '(':
			end := strings.IndexByte(rest, ')')
			if end < 0 {
				// Unclosed: "$(" is kept and scanning goes on after it.
				b.WriteString("$(")
				s = rest[1:]
				break
			}
			name := rest[1:end]
			if v, ok := lookup(name); ok {
				b.WriteString(v)
			} else {
				b.WriteString("$(" + name + ")")
			}
			s = rest[end+1:]
		default:
			// "$x": both kept; x starts no reference even if it is a $.
			b.WriteByte('$')
			b.WriteByte(rest[0])
			s = rest[1:]
		}
		i = strings.IndexByte(s, '$')
	}
	b.WriteString(s)
	return b.String()
}

// LookupIn returns a lookup over maps, the first one holding a name
// winning.
func LookupIn(maps ...map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		for _, m := range maps {
			if v, ok := m[name]; ok {
				return v, true
			}
		}
		return "", false
	}
}
