package etcd3

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/tinykube/tinykube/pkg/storage"
)

// GetList implements storage.Interface.
//
//   - RV "" and "0" read the latest revision; "N" (NotOlderThan) reads the
//     latest and fails with ErrTooLarge if etcd is behind N; Exact "N"
//     reads revision N (ErrExpired if compacted, ErrTooLarge if future).
//   - With Continue, every page reads the token's revision; if that was
//     compacted the error is an *storage.RVError with ErrExpired and a
//     fresh Continue token that resumes at the latest revision.
//   - Limit counts objects that pass the predicate; RemainingItemCount is
//     set only when the predicate selects everything.
func (s *Store) GetList(ctx context.Context, key string, opts storage.ListOptions, listObj runtime.Object) error {
	listMeta, err := meta.ListAccessor(listObj)
	if err != nil {
		return err
	}
	items, err := itemsValue(listObj)
	if err != nil {
		return err
	}
	rv, err := storage.ParseResourceVersion(opts.ResourceVersion)
	if err != nil {
		return err
	}
	pred := opts.Predicate

	if !opts.Recursive {
		return s.getOne(ctx, key, rv, opts, listObj, listMeta, items)
	}

	prefix := storage.PrefixKey(key)
	from := prefix
	var readRev int64 // 0: latest
	minRV := int64(0)
	switch {
	case pred.Continue != "":
		if rv != 0 {
			return fmt.Errorf("%w: specifying resource version is not allowed when using continue", storage.ErrInvalidContinue)
		}
		if from, readRev, err = DecodeContinue(pred.Continue, prefix); err != nil {
			return err
		}
	case opts.ResourceVersionMatch == storage.MatchExact:
		if rv == 0 {
			return errors.New("resourceVersionMatch=Exact requires a resourceVersion other than 0")
		}
		readRev = rv
	default:
		minRV = rv
	}

	end := clientv3.GetPrefixRangeEnd(prefix)
	limit := pred.Limit
	fetch := limit
	if fetch > 0 && !pred.Empty() {
		// Filtered lists usually skip items: read ahead a little.
		fetch = max(fetch, 64)
	}
	var (
		lastKey   string
		more      bool
		remaining int64 = -1
	)
	for {
		getOpts := []clientv3.OpOption{clientv3.WithRange(end)}
		if readRev > 0 {
			getOpts = append(getOpts, clientv3.WithRev(readRev))
		}
		if fetch > 0 {
			getOpts = append(getOpts, clientv3.WithLimit(fetch))
		}
		resp, err := s.client.Get(ctx, from, getOpts...)
		if err != nil {
			return s.listError(ctx, err, readRev, pred.Continue != "", lastKey, from, prefix)
		}
		if readRev == 0 {
			readRev = resp.Header.Revision
			if minRV > readRev {
				return &storage.RVError{Err: storage.ErrTooLarge, Requested: minRV, Current: readRev}
			}
		}
		full := false
		for i, kv := range resp.Kvs {
			lastKey = string(kv.Key)
			ok, err := s.appendItem(items, kv.Value, kv.ModRevision, pred)
			if err != nil {
				return err
			}
			if ok && limit > 0 && int64(items.Len()) == limit {
				full = true
				more = i < len(resp.Kvs)-1 || resp.More
				if pred.Empty() {
					remaining = resp.Count - int64(i+1)
				}
				break
			}
		}
		if full || !resp.More {
			break
		}
		from = lastKey + "\x00"
		fetch = min(fetch*2, 1024)
	}

	listMeta.SetResourceVersion(storage.FormatResourceVersion(readRev))
	if more {
		token, err := EncodeContinue(lastKey+"\x00", prefix, readRev)
		if err != nil {
			return err
		}
		listMeta.SetContinue(token)
		if remaining >= 0 {
			listMeta.SetRemainingItemCount(&remaining)
		}
	}
	return nil
}

// getOne lists a single key (a non-recursive list, e.g. a field selector
// on metadata.name turned into a key by the registry).
func (s *Store) getOne(ctx context.Context, key string, rv int64, opts storage.ListOptions, listObj runtime.Object,
	listMeta metav1ListInterface, items reflect.Value) error {
	var getOpts []clientv3.OpOption
	if opts.ResourceVersionMatch == storage.MatchExact && rv > 0 {
		getOpts = append(getOpts, clientv3.WithRev(rv))
	}
	resp, err := s.client.Get(ctx, key, getOpts...)
	if err != nil {
		return s.listError(ctx, err, rv, false, "", "", "")
	}
	if rv > resp.Header.Revision {
		return &storage.RVError{Err: storage.ErrTooLarge, Requested: rv, Current: resp.Header.Revision}
	}
	for _, kv := range resp.Kvs {
		if _, err := s.appendItem(items, kv.Value, kv.ModRevision, opts.Predicate); err != nil {
			return err
		}
	}
	readRev := resp.Header.Revision
	if len(getOpts) > 0 {
		readRev = rv
	}
	listMeta.SetResourceVersion(storage.FormatResourceVersion(readRev))
	return nil
}

type metav1ListInterface = meta.List

// appendItem decodes one value into a new element of items and keeps it
// if it passes pred.
func (s *Store) appendItem(items reflect.Value, data []byte, rev int64, pred storage.Predicate) (bool, error) {
	elem := reflect.New(items.Type().Elem())
	obj, ok := elem.Interface().(runtime.Object)
	if !ok {
		return false, fmt.Errorf("list items of type %s are not runtime.Objects", items.Type().Elem())
	}
	if err := s.decode(data, obj, rev); err != nil {
		return false, err
	}
	match, err := pred.Matches(obj)
	if err != nil || !match {
		return false, err
	}
	items.Set(reflect.Append(items, elem.Elem()))
	return true, nil
}

// itemsValue returns the settable Items slice of a typed list
// (*corev1.PodList, *unstructured.UnstructuredList…).
func itemsValue(listObj runtime.Object) (reflect.Value, error) {
	ptr, err := meta.GetItemsPtr(listObj)
	if err != nil {
		return reflect.Value{}, err
	}
	v := reflect.ValueOf(ptr).Elem()
	if v.Kind() != reflect.Slice {
		return reflect.Value{}, fmt.Errorf("list items are %s, not a slice", v.Kind())
	}
	return v, nil
}

// listError maps etcd's revision errors to storage.RVError. For an
// expired continue token it adds a token that resumes at the latest
// revision from where the client was (upstream's inconsistent continue).
func (s *Store) listError(ctx context.Context, err error, rev int64, isContinue bool, lastKey, from, prefix string) error {
	switch {
	case errors.Is(err, rpctypes.ErrCompacted):
		rerr := &storage.RVError{Err: storage.ErrExpired, Requested: rev}
		if cur, cerr := s.client.Get(ctx, "compact_rev_key"); cerr == nil {
			rerr.Current = cur.Header.Revision
		}
		if isContinue {
			resume := from
			if lastKey != "" {
				resume = lastKey + "\x00"
			}
			rerr.Continue, _ = EncodeContinue(resume, prefix, 0)
		}
		return rerr
	case errors.Is(err, rpctypes.ErrFutureRev):
		rerr := &storage.RVError{Err: storage.ErrTooLarge, Requested: rev}
		if cur, cerr := s.client.Get(ctx, "compact_rev_key"); cerr == nil {
			rerr.Current = cur.Header.Revision
		}
		return rerr
	}
	return err
}
