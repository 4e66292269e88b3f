package storage

import (
	"bytes"
	"io"
	"sync"
	"sync/atomic"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// CachedObject is an object held by a watch cache together with its
// serialized forms, each computed at most once and then shared by every
// list and watch that sends the object. The object is shared: read-only.
//
// It is a runtime.Object only so that it can travel in a watch.Event;
// GetObjectKind is the wrapped object's (do not set it) and DeepCopyObject
// returns a deep copy of the wrapped object, unwrapped.
type CachedObject struct {
	obj runtime.Object

	mu    sync.Mutex                  // serializes adding to forms
	forms atomic.Pointer[[]*encoding] // copy-on-write; read without mu
}

// encoding is one serialized form, filled once.
type encoding struct {
	key  string
	once sync.Once
	data []byte
	err  error
}

var _ runtime.Object = (*CachedObject)(nil)

// NewCachedObject wraps obj, which the caller no longer mutates.
func NewCachedObject(obj runtime.Object) *CachedObject { return &CachedObject{obj: obj} }

// Object returns the wrapped object: read-only.
func (c *CachedObject) Object() runtime.Object { return c.obj }

// GetObjectKind implements runtime.Object (the wrapped object's kind).
func (c *CachedObject) GetObjectKind() schema.ObjectKind { return c.obj.GetObjectKind() }

// DeepCopyObject implements runtime.Object: a deep copy of the wrapped
// object, which the caller owns.
func (c *CachedObject) DeepCopyObject() runtime.Object { return c.obj.DeepCopyObject() }

// Encoded returns the object's serialized form named key, calling encode
// the first time the form is asked for; every later call (from any
// goroutine) gets the same bytes, which callers must not modify. key must
// name everything encode's output depends on (media type, group version
// and kind). An encode error is cached too.
func (c *CachedObject) Encoded(key string, encode func(obj runtime.Object, w io.Writer) error) ([]byte, error) {
	e := c.encoding(key)
	e.once.Do(func() {
		var buf bytes.Buffer
		if e.err = encode(c.obj, &buf); e.err == nil {
			e.data = buf.Bytes()
		}
	})
	return e.data, e.err
}

func (c *CachedObject) encoding(key string) *encoding {
	if forms := c.forms.Load(); forms != nil {
		for _, e := range *forms {
			if e.key == key {
				return e
			}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var forms []*encoding
	if p := c.forms.Load(); p != nil {
		forms = *p
	}
	for _, e := range forms {
		if e.key == key {
			return e
		}
	}
	e := &encoding{key: key}
	next := make([]*encoding, len(forms), len(forms)+1)
	copy(next, forms)
	next = append(next, e)
	c.forms.Store(&next)
	return e
}

// CachedObjectList is a list as a watch cache serves it to encoders: the
// list's metadata and the matching objects in key order.
type CachedObjectList struct {
	ResourceVersion    string
	Continue           string
	RemainingItemCount *int64
	Items              []*CachedObject
}
