package authn

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// TokenFile is a static table of bearer tokens, as read from a file in
// kube-apiserver's --token-auth-file format: CSV, one token per record,
//
//	token,user,uid[,"group1,group2,..."]
//
// Extra columns are ignored; an empty token skips the record; a repeated
// token's last record wins. The table is immutable once parsed.
type TokenFile struct {
	entries []tokenEntry
}

type tokenEntry struct {
	digest [sha256.Size]byte
	user   User
}

var _ TokenAuthenticator = (*TokenFile)(nil)

// LoadTokenFile reads and parses the token file at path.
func LoadTokenFile(path string) (*TokenFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tf, err := ParseTokenFile(f)
	if err != nil {
		return nil, fmt.Errorf("token file %s: %w", path, err)
	}
	return tf, nil
}

// ParseTokenFile parses token-file records from r. A record with fewer than
// three columns (token, user name, uid) is an error.
func ParseTokenFile(r io.Reader) (*TokenFile, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // editors' UTF-8 BOM
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	tf := &TokenFile{}
	index := map[[sha256.Size]byte]int{}
	for {
		record, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		if len(record) < 3 {
			return nil, fmt.Errorf("line %d: want at least 3 columns (token, user name, uid), found %d", line, len(record))
		}
		if record[0] == "" {
			continue
		}
		e := tokenEntry{
			digest: sha256.Sum256([]byte(record[0])),
			user:   User{Name: record[1], UID: record[2]},
		}
		if len(record) >= 4 {
			for _, g := range strings.Split(record[3], ",") {
				if g = strings.TrimSpace(g); g != "" {
					e.user.Groups = append(e.user.Groups, g)
				}
			}
		}
		if i, dup := index[e.digest]; dup {
			tf.entries[i] = e
			continue
		}
		index[e.digest] = len(tf.entries)
		tf.entries = append(tf.entries, e)
	}
	return tf, nil
}

// Len returns the number of distinct tokens.
func (f *TokenFile) Len() int { return len(f.entries) }

// AuthenticateToken returns the user whose token equals token. Every entry
// is compared, in constant time over fixed-length digests, so the time
// taken says nothing about how much of a guess was right.
func (f *TokenFile) AuthenticateToken(_ context.Context, token string) (*User, bool, error) {
	digest := sha256.Sum256([]byte(token))
	match := -1
	for i := range f.entries {
		if subtle.ConstantTimeCompare(digest[:], f.entries[i].digest[:]) == 1 {
			match = i
		}
	}
	if match < 0 {
		return nil, false, nil
	}
	return f.entries[match].user.clone(), true, nil
}
