package etcd3

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"github.com/tinykube/tinykube/pkg/storage"
)

// continueToken is the JSON inside a continue parameter, the same shape
// upstream uses so tokens look familiar: the revision every page reads
// and the key (relative to the list prefix) the next page starts at.
type continueToken struct {
	APIVersion      string `json:"v"`
	ResourceVersion int64  `json:"rv"`
	StartKey        string `json:"start"`
}

const continueAPIVersion = "meta.k8s.io/v1"

// EncodeContinue returns the continue token for a list of prefix read at
// rev whose next page starts at nextKey.
func EncodeContinue(nextKey, prefix string, rev int64) (string, error) {
	if !strings.HasPrefix(nextKey, prefix) {
		return "", fmt.Errorf("continue key %q is not under %q", nextKey, prefix)
	}
	b, err := json.Marshal(continueToken{APIVersion: continueAPIVersion, ResourceVersion: rev, StartKey: nextKey[len(prefix):]})
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// DecodeContinue parses a continue token for a list of prefix into the
// full key to start from and the revision to read. A token that does not
// parse wraps storage.ErrInvalidContinue.
func DecodeContinue(token, prefix string) (fromKey string, rev int64, err error) {
	data, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "", 0, fmt.Errorf("%w: %v", storage.ErrInvalidContinue, err)
	}
	var c continueToken
	if err := json.Unmarshal(data, &c); err != nil {
		return "", 0, fmt.Errorf("%w: %v", storage.ErrInvalidContinue, err)
	}
	if c.APIVersion != continueAPIVersion {
		return "", 0, fmt.Errorf("%w: unknown version %q", storage.ErrInvalidContinue, c.APIVersion)
	}
	if c.StartKey == "" {
		return "", 0, fmt.Errorf("%w: no start key", storage.ErrInvalidContinue)
	}
	// The start key must stay under the prefix: reject "../" tricks.
	cleaned := path.Clean(c.StartKey)
	if cleaned != strings.TrimSuffix(c.StartKey, "\x00") && cleaned != c.StartKey {
		return "", 0, fmt.Errorf("%w: bad start key", storage.ErrInvalidContinue)
	}
	if strings.HasPrefix(cleaned, "../") || cleaned == ".." || strings.HasPrefix(cleaned, "/") {
		return "", 0, fmt.Errorf("%w: bad start key", storage.ErrInvalidContinue)
	}
	return prefix + c.StartKey, c.ResourceVersion, nil
}
