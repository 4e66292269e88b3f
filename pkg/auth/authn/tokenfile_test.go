package authn

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestParseTokenFile(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		wantErr bool
		token   string
		want    *User // nil: token must not authenticate
	}{
		{name: "basic", in: "t1,alice,1\n", token: "t1", want: &User{Name: "alice", UID: "1"}},
		{name: "groups", in: "t1,alice,1,\"a,b,c\"\n", token: "t1", want: &User{Name: "alice", UID: "1", Groups: []string{"a", "b", "c"}}},
		{name: "single group unquoted", in: "t1,alice,1,a\n", token: "t1", want: &User{Name: "alice", UID: "1", Groups: []string{"a"}}},
		{name: "extra columns ignored", in: "t1,alice,1,a,whatever\n", token: "t1", want: &User{Name: "alice", UID: "1", Groups: []string{"a"}}},
		{name: "BOM", in: "\xef\xbb\xbft1,alice,1\n", token: "t1", want: &User{Name: "alice", UID: "1"}},
		{name: "CRLF and blank lines", in: "\r\nt1,alice,1\r\n\r\nt2,bob,2\r\n", token: "t2", want: &User{Name: "bob", UID: "2"}},
		{name: "duplicate last wins", in: "t1,alice,1\nt1,bob,2\n", token: "t1", want: &User{Name: "bob", UID: "2"}},
		{name: "empty token skipped", in: ",alice,1\n", token: "", want: nil},
		{name: "unknown token", in: "t1,alice,1\n", token: "t2", want: nil},
		{name: "prefix does not match", in: "t1,alice,1\n", token: "t", want: nil},
		{name: "too few columns", in: "t1,alice\n", wantErr: true},
		{name: "bad quoting", in: "t1,\"alice,1\n", wantErr: true},
		{name: "empty file", in: "", token: "t1", want: nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tf, err := ParseTokenFile(strings.NewReader(tc.in))
			if tc.wantErr {
				if err == nil {
					t.Fatal("expected an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			u, ok, err := tf.AuthenticateToken(context.Background(), tc.token)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == nil {
				if ok {
					t.Fatalf("token %q authenticated as %+v", tc.token, u)
				}
				return
			}
			if !ok || u.Name != tc.want.Name || u.UID != tc.want.UID || !slices.Equal(u.Groups, tc.want.Groups) {
				t.Fatalf("got %+v %v, want %+v", u, ok, tc.want)
			}
		})
	}
}

func TestTokenFileReturnsCopies(t *testing.T) {
	tf, err := ParseTokenFile(strings.NewReader("t1,alice,1,a\n"))
	if err != nil {
		t.Fatal(err)
	}
	u, _, _ := tf.AuthenticateToken(context.Background(), "t1")
	u.Groups = append(u.Groups[:0], "system:masters")
	again, _, _ := tf.AuthenticateToken(context.Background(), "t1")
	if !slices.Equal(again.Groups, []string{"a"}) {
		t.Fatalf("caller's change leaked into the table: %v", again.Groups)
	}
}

// FuzzParseTokenFile checks the parser never panics and that every token it
// accepts authenticates as the last record carrying it.
func FuzzParseTokenFile(f *testing.F) {
	for _, seed := range []string{
		"t1,alice,1\n",
		"t1,alice,1,\"a,b\"\nt2,bob,2,c\n",
		"\xef\xbb\xbft1,alice,1\r\n",
		",x,y\n",
		"t1,alice,1\nt1,bob,2\n",
		"\"t,1\",\"al\"\"ice\",1,\n",
		"a,b\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		tf, err := ParseTokenFile(strings.NewReader(in))
		if err != nil {
			return
		}
		// Oracle: the records as encoding/csv reads them, last one wins.
		want := map[string]string{}
		cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix([]byte(in), []byte("\xef\xbb\xbf"))))
		cr.FieldsPerRecord = -1
		for {
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("parser accepted input csv rejects: %v", err)
			}
			if len(rec) < 3 {
				t.Fatalf("parser accepted a record with %d columns", len(rec))
			}
			if rec[0] != "" {
				want[rec[0]] = rec[1]
			}
		}
		if tf.Len() != len(want) {
			t.Fatalf("Len() = %d, want %d", tf.Len(), len(want))
		}
		for token, name := range want {
			u, ok, err := tf.AuthenticateToken(context.Background(), token)
			if err != nil || !ok || u.Name != name {
				t.Fatalf("token %q: got %+v %v %v, want user %q", token, u, ok, err, name)
			}
			for _, g := range u.Groups {
				if g == "" || strings.TrimSpace(g) != g {
					t.Fatalf("token %q: untrimmed or empty group %q", token, g)
				}
			}
		}
	})
}
