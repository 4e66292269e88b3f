package etcd3

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tinykube/tinykube/pkg/storage"
)

// Store is a storage.Interface on an etcd v3 client. It holds no state of
// its own beyond its collaborators, so one Store per resource is cheap.
type Store struct {
	client      *clientv3.Client
	codec       runtime.Codec
	newFunc     func() runtime.Object
	newListFunc func() runtime.Object
}

var _ storage.Interface = (*Store)(nil)

// New returns a store that encodes values with codec. newFunc returns an
// empty object of the stored type (e.g. &corev1.Pod{}), newListFunc an
// empty list of it (&corev1.PodList{}).
func New(client *clientv3.Client, codec runtime.Codec, newFunc, newListFunc func() runtime.Object) *Store {
	return &Store{client: client, codec: codec, newFunc: newFunc, newListFunc: newListFunc}
}

// Create implements storage.Interface.
func (s *Store) Create(ctx context.Context, key string, obj, out runtime.Object) error {
	m, err := meta.Accessor(obj)
	if err != nil {
		return err
	}
	if m.GetResourceVersion() != "" {
		return errors.New("resourceVersion should not be set on objects to be created")
	}
	data, err := s.encode(obj)
	if err != nil {
		return err
	}
	resp, err := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, string(data))).
		Commit()
	if err != nil {
		return err
	}
	if !resp.Succeeded {
		return fmt.Errorf("%s: %w", key, storage.ErrKeyExists)
	}
	if out == nil {
		return nil
	}
	return s.decode(data, out, resp.Header.Revision)
}

// Get implements storage.Interface. A resourceVersion other than "" or
// "0" only checks that etcd has reached it (ErrTooLarge otherwise); the
// value read is always the latest.
func (s *Store) Get(ctx context.Context, key string, resourceVersion string, out runtime.Object) error {
	minRV, err := storage.ParseResourceVersion(resourceVersion)
	if err != nil {
		return err
	}
	resp, err := s.client.Get(ctx, key)
	if err != nil {
		return err
	}
	if minRV > resp.Header.Revision {
		return &storage.RVError{Err: storage.ErrTooLarge, Requested: minRV, Current: resp.Header.Revision}
	}
	if len(resp.Kvs) == 0 {
		return fmt.Errorf("%s: %w", key, storage.ErrNotFound)
	}
	return s.decode(resp.Kvs[0].Value, out, resp.Kvs[0].ModRevision)
}

// state is what was last read at a key: the decoded object, its bytes and
// its ModRevision (0 and a zero object when the key is absent).
type state struct {
	obj    runtime.Object
	data   []byte
	rev    int64
	exists bool
}

func (s *Store) read(ctx context.Context, key string) (*state, error) {
	resp, err := s.client.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	return s.stateFrom(resp.Kvs)
}

func (s *Store) stateFrom(kvs []*mvccKV) (*state, error) {
	st := &state{obj: s.newFunc()}
	if len(kvs) == 0 {
		return st, nil
	}
	st.data, st.rev, st.exists = kvs[0].Value, kvs[0].ModRevision, true
	if err := s.decode(st.data, st.obj, st.rev); err != nil {
		return nil, err
	}
	return st, nil
}

// guessState is the state cachedExisting claims (see storage.Interface),
// on a private copy; nil if it carries no usable resourceVersion. With
// withData the copy is encoded too, for GuaranteedUpdate's "nothing
// changed" test (an encoding of the same codec, so a no-op update
// compares equal).
func (s *Store) guessState(cachedExisting runtime.Object, withData bool) (*state, error) {
	if cachedExisting == nil {
		return nil, nil
	}
	m, err := meta.Accessor(cachedExisting)
	if err != nil {
		return nil, nil
	}
	rev, err := storage.ParseResourceVersion(m.GetResourceVersion())
	if err != nil || rev <= 0 {
		return nil, nil
	}
	// A *storage.CachedObject copies to its bare object.
	st := &state{obj: cachedExisting.DeepCopyObject(), rev: rev, exists: true}
	if withData {
		if st.data, err = s.encode(st.obj); err != nil {
			return nil, err
		}
		if err := setRV(st.obj, rev); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// firstState is the state an update or delete starts from: the guess if
// there is one (guessed reports it), else what etcd holds.
func (s *Store) firstState(ctx context.Context, key string, cachedExisting runtime.Object, withData bool) (cur *state, guessed bool, err error) {
	if cur, err = s.guessState(cachedExisting, withData); err != nil || cur != nil {
		return cur, cur != nil, err
	}
	cur, err = s.read(ctx, key)
	return cur, false, err
}

// GuaranteedUpdate implements storage.Interface. Starting from
// cachedExisting saves the read before the transaction; whatever the
// guess alone would decide short of the compare-and-swap is confirmed on
// a fresh read.
func (s *Store) GuaranteedUpdate(ctx context.Context, key string, out runtime.Object, ignoreNotFound bool,
	preconditions *storage.Preconditions, tryUpdate storage.UpdateFunc, cachedExisting runtime.Object) error {
	cur, guessed, err := s.firstState(ctx, key, cachedExisting, true)
	if err != nil {
		return err
	}
	for ; ; guessed = false {
		if !cur.exists && !ignoreNotFound {
			return fmt.Errorf("%s: %w", key, storage.ErrNotFound)
		}
		data, err := s.attemptUpdate(key, cur, preconditions, tryUpdate)
		noop := err == nil && cur.exists && bytes.Equal(data, cur.data)
		if guessed && (err != nil || noop) {
			// Only the compare-and-swap may rely on a guess: confirm a
			// veto or a no-op on what etcd holds.
			if cur, err = s.read(ctx, key); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		if noop {
			// Nothing changed: no write, and out is the current state.
			return s.decode(cur.data, out, cur.rev)
		}
		resp, err := s.client.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(key), "=", cur.rev)).
			Then(clientv3.OpPut(key, string(data))).
			Else(clientv3.OpGet(key)).
			Commit()
		if err != nil {
			return err
		}
		if resp.Succeeded {
			return s.decode(data, out, resp.Header.Revision)
		}
		// Lost the race (or the guess was stale): retry on what the
		// transaction read.
		if cur, err = s.stateFrom(resp.Responses[0].GetResponseRange().Kvs); err != nil {
			return err
		}
	}
}

// attemptUpdate checks preconditions on cur and returns the encoding of
// tryUpdate's result.
func (s *Store) attemptUpdate(key string, cur *state, preconditions *storage.Preconditions, tryUpdate storage.UpdateFunc) ([]byte, error) {
	if err := checkPreconditions(key, preconditions, cur.obj); err != nil {
		return nil, err
	}
	// tryUpdate may modify its argument; cur.data stays the truth.
	updated, err := tryUpdate(cur.obj)
	if err != nil {
		return nil, err
	}
	return s.encode(updated)
}

// Delete implements storage.Interface. out receives the last state with
// the deletion's revision as its resourceVersion (what a DELETED watch
// event carries). A cachedExisting guess saves the read before the
// transaction, as in GuaranteedUpdate.
func (s *Store) Delete(ctx context.Context, key string, out runtime.Object, preconditions *storage.Preconditions,
	validate func(current runtime.Object) error, cachedExisting runtime.Object) error {
	cur, guessed, err := s.firstState(ctx, key, cachedExisting, false)
	if err != nil {
		return err
	}
	for ; ; guessed = false {
		if !cur.exists {
			return fmt.Errorf("%s: %w", key, storage.ErrNotFound)
		}
		err := checkPreconditions(key, preconditions, cur.obj)
		if err == nil && validate != nil {
			err = validate(cur.obj)
		}
		if err != nil {
			if !guessed {
				return err
			}
			// A veto on the guess alone: confirm it on what etcd holds.
			if cur, err = s.read(ctx, key); err != nil {
				return err
			}
			continue
		}
		resp, err := s.client.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(key), "=", cur.rev)).
			Then(clientv3.OpDelete(key)).
			Else(clientv3.OpGet(key)).
			Commit()
		if err != nil {
			return err
		}
		if resp.Succeeded {
			if out == nil {
				return nil
			}
			if cur.data == nil { // the guess, never encoded
				return copyInto(cur.obj, out, resp.Header.Revision)
			}
			return s.decode(cur.data, out, resp.Header.Revision)
		}
		if cur, err = s.stateFrom(resp.Responses[0].GetResponseRange().Kvs); err != nil {
			return err
		}
	}
}

// Count implements storage.Interface.
func (s *Store) Count(ctx context.Context, key string) (int64, error) {
	key = storage.PrefixKey(key)
	resp, err := s.client.Get(ctx, key, clientv3.WithRange(clientv3.GetPrefixRangeEnd(key)), clientv3.WithCountOnly())
	if err != nil {
		return 0, err
	}
	return resp.Count, nil
}

// checkPreconditions reports a failed precondition as ErrConflict, with
// upstream's wording.
func checkPreconditions(key string, p *storage.Preconditions, obj runtime.Object) error {
	if p == nil {
		return nil
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return err
	}
	if p.UID != nil && *p.UID != m.GetUID() {
		return fmt.Errorf("Precondition failed: UID in precondition: %v, UID in object meta: %v: %w", *p.UID, m.GetUID(), storage.ErrConflict)
	}
	if p.ResourceVersion != nil && *p.ResourceVersion != m.GetResourceVersion() {
		return fmt.Errorf("Precondition failed: ResourceVersion in precondition: %v, ResourceVersion in object meta: %v: %w", *p.ResourceVersion, m.GetResourceVersion(), storage.ErrConflict)
	}
	return nil
}

var _ storage.ProgressRequester = (*Store)(nil)

// CurrentRevision implements storage.ProgressRequester.
func (s *Store) CurrentRevision(ctx context.Context) (int64, error) {
	resp, err := s.client.Get(ctx, "compact_rev_key", clientv3.WithCountOnly())
	if err != nil {
		return 0, err
	}
	return resp.Header.Revision, nil
}

// RequestWatchProgress implements storage.ProgressRequester. clientv3
// groups watches into gRPC streams by the context's metadata, and Watch
// adds only the require-leader flag, so adding it here names the same
// stream.
func (s *Store) RequestWatchProgress(ctx context.Context) error {
	return s.client.RequestProgress(clientv3.WithRequireLeader(ctx))
}
