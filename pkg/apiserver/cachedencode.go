package apiserver

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/tinykube/tinykube/pkg/storage"
)

// Encode once: objects from the watch cache (*storage.CachedObject) keep
// their serialized form per media type and kind, so lists and watches
// only copy bytes. A list is written as its envelope (the serializer's
// output for the list with no items) around the concatenated cached item
// encodings; a watch event as the event framing around the cached
// object. The output is byte for byte what the serializer writes for the
// same objects (cachedencode_test.go).

const (
	mediaTypeJSON     = runtime.ContentTypeJSON
	mediaTypeProtobuf = runtime.ContentTypeProtobuf
)

// canEncodeCached reports whether info's format has a cached encoding
// path: JSON and protobuf (YAML takes the ordinary one).
func canEncodeCached(info runtime.SerializerInfo) bool {
	return info.MediaType == mediaTypeJSON || info.MediaType == mediaTypeProtobuf
}

// cachedEncoder encodes cached objects with one serializer as one kind;
// a list or a watch builds one and uses it for every object.
type cachedEncoder struct {
	key    string // names the encoding in each CachedObject
	encode func(obj runtime.Object, w io.Writer) error
}

func newCachedEncoder(info runtime.SerializerInfo, gvk schema.GroupVersionKind) *cachedEncoder {
	return &cachedEncoder{
		key: info.MediaType + ";" + gvk.String(),
		encode: func(obj runtime.Object, w io.Writer) error {
			return info.Serializer.Encode(withKind(obj, gvk), w)
		},
	}
}

// Encoded returns co's encoding, computed once per (media type, kind)
// and shared.
func (e *cachedEncoder) Encoded(co *storage.CachedObject) ([]byte, error) {
	return co.Encoded(e.key, e.encode)
}

// encodeCached is newCachedEncoder(info, gvk).Encoded(co).
func encodeCached(co *storage.CachedObject, info runtime.SerializerInfo, gvk schema.GroupVersionKind) ([]byte, error) {
	return newCachedEncoder(info, gvk).Encoded(co)
}

// errNoCachedList: the list's envelope does not have the shape
// writeCachedList splices items into; encode the typed list instead.
var errNoCachedList = errors.New("no cached encoding for this list")

// writeCachedList writes list in info's format (JSON or protobuf) as the
// list kind listGVK with items of kind itemGVK. emptyList is a new empty
// list object of the right type, used for the envelope. Nothing is
// written when it returns an error (errNoCachedList: use the serializer).
func writeCachedList(w http.ResponseWriter, list *storage.CachedObjectList, emptyList runtime.Object,
	listGVK, itemGVK schema.GroupVersionKind, info runtime.SerializerInfo) error {
	env, err := listEnvelope(list, emptyList, listGVK, info)
	if err != nil {
		return err
	}
	enc := newCachedEncoder(info, itemGVK)
	items := make([][]byte, len(list.Items))
	for i, co := range list.Items {
		data, err := enc.Encoded(co)
		if err != nil {
			return err
		}
		items[i] = data
	}

	var parts [][]byte // written in order
	switch info.MediaType {
	case mediaTypeProtobuf:
		head, raw, tail, err := splitUnknown(env)
		if err != nil {
			return fmt.Errorf("%w: %v", errNoCachedList, err)
		}
		// The list message is its metadata field followed by one
		// length-delimited items field (2) per item: the item's message,
		// which is the Raw of the item's own envelope.
		rawLen := len(raw)
		for i, data := range items {
			_, itemRaw, _, err := splitUnknown(data)
			if err != nil {
				return err
			}
			items[i] = itemRaw
			rawLen += 1 + uvarintLen(uint64(len(itemRaw))) + len(itemRaw)
		}
		// All the item keys and lengths in one buffer, sized so that
		// appending never moves it.
		tags := make([]byte, 0, (len(items)+1)*(1+binary.MaxVarintLen64))
		tags = protoTag(tags, 2, uint64(rawLen))
		parts = make([][]byte, 0, 2*len(items)+4)
		parts = append(parts, head, tags, raw)
		for _, data := range items {
			start := len(tags)
			tags = protoTag(tags, 2, uint64(len(data)))
			parts = append(parts, tags[start:], data)
		}
		parts = append(parts, tail)
	case mediaTypeJSON:
		// A typed list's envelope ends in "[]}\n"; an unstructured
		// list's (custom resources) has its keys sorted, "items":[]
		// second. Items go between the brackets, each without the
		// newline the encoder ends an object with.
		const end, unstructuredItems = "[]}\n", `"items":[]`
		var cut int
		switch _, unstructured := emptyList.(*unstructuredList); {
		case bytes.HasSuffix(env, []byte(end)):
			cut = len(env) - len(end) + 1
		case unstructured && bytes.Count(env, []byte(unstructuredItems)) == 1:
			cut = bytes.Index(env, []byte(unstructuredItems)) + len(unstructuredItems) - 1
		default:
			return fmt.Errorf("%w: envelope %q does not end in %q", errNoCachedList, truncate(env), end)
		}
		parts = make([][]byte, 0, 2*len(items)+2)
		parts = append(parts, env[:cut])
		for i, data := range items {
			if i > 0 {
				parts = append(parts, comma)
			}
			parts = append(parts, bytes.TrimSuffix(data, newline))
		}
		parts = append(parts, env[cut:])
	default:
		return fmt.Errorf("%w: %s", errNoCachedList, info.MediaType)
	}

	size := 0
	for _, p := range parts {
		size += len(p)
	}
	w.Header().Set("Content-Type", info.MediaType)
	w.Header().Set("Content-Length", strconv.Itoa(size))
	w.WriteHeader(http.StatusOK)
	// Large writes go to the connection in few big chunks (each Write to
	// an HTTP/2 response is a hand-off to the connection's goroutine).
	bw := bufio.NewWriterSize(w, 256<<10)
	for _, p := range parts {
		if _, err := bw.Write(p); err != nil {
			return nil // the client went away; the status is sent
		}
	}
	_ = bw.Flush()
	return nil
}

type unstructuredList = unstructured.UnstructuredList

var (
	comma   = []byte(",")
	newline = []byte("\n")
)

// listEnvelope is the serializer's output for list's metadata with no
// items, as listGVK.
func listEnvelope(list *storage.CachedObjectList, emptyList runtime.Object, listGVK schema.GroupVersionKind,
	info runtime.SerializerInfo) ([]byte, error) {
	lm, err := meta.ListAccessor(emptyList)
	if err != nil {
		return nil, err
	}
	lm.SetResourceVersion(list.ResourceVersion)
	lm.SetContinue(list.Continue)
	lm.SetRemainingItemCount(list.RemainingItemCount)
	// An empty, non-nil items slice: JSON "items":[] rather than null.
	if err := meta.SetList(emptyList, []runtime.Object{}); err != nil {
		return nil, err
	}
	emptyList.GetObjectKind().SetGroupVersionKind(listGVK)
	var buf bytes.Buffer
	if err := info.Serializer.Encode(emptyList, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeCachedEvent appends one watch event (type typ, object the encoded
// object data) to buf as stream's serializer would encode a
// metav1.WatchEvent carrying data as its raw object.
func writeCachedEvent(buf *bytes.Buffer, mediaType string, typ watch.EventType, data []byte) error {
	switch mediaType {
	case mediaTypeJSON:
		buf.WriteString(`{"type":`)
		buf.WriteString(strconv.Quote(string(typ)))
		buf.WriteString(`,"object":`)
		buf.Write(bytes.TrimSuffix(data, newline))
		buf.WriteString("}\n")
	case mediaTypeProtobuf:
		// WatchEvent{type: 1, object: 2 (RawExtension{raw: 1})}.
		var scratch [2 * binary.MaxVarintLen64]byte
		buf.Write(protoTag(scratch[:0], 1, uint64(len(typ))))
		buf.WriteString(string(typ))
		ext := 1 + uvarintLen(uint64(len(data))) + len(data)
		buf.Write(protoTag(scratch[:0], 2, uint64(ext)))
		buf.Write(protoTag(scratch[:0], 1, uint64(len(data))))
		buf.Write(data)
	default:
		return fmt.Errorf("no cached encoding for %s", mediaType)
	}
	return nil
}

// protoTag appends the key of length-delimited field num and the length n.
func protoTag(b []byte, num int, n uint64) []byte {
	b = binary.AppendUvarint(b, uint64(num)<<3|2)
	return binary.AppendUvarint(b, n)
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// splitUnknown splits the protobuf serializer's output ("k8s\x00" and a
// runtime.Unknown) into what comes before the Unknown's raw field (2),
// the raw message, and what follows it.
func splitUnknown(data []byte) (head, raw, tail []byte, err error) {
	const magic = "k8s\x00"
	if !bytes.HasPrefix(data, []byte(magic)) {
		return nil, nil, nil, errors.New("protobuf encoding without the k8s envelope")
	}
	i := len(magic)
	for i < len(data) {
		key, n := binary.Uvarint(data[i:])
		if n <= 0 || key&7 != 2 {
			break
		}
		l, m := binary.Uvarint(data[i+n:])
		start := i + n + m
		if m <= 0 || l > uint64(len(data)-start) {
			break
		}
		end := start + int(l)
		if key>>3 == 2 {
			return data[:i], data[start:end], data[end:], nil
		}
		i = end
	}
	return nil, nil, nil, fmt.Errorf("malformed protobuf envelope %q", truncate(data))
}

func truncate(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}
