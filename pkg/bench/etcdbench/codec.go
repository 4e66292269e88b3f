package etcdbench

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/client-go/kubernetes/scheme"
)

// podCodec encodes pods the way an API server stores built-in types in
// etcd: the protobuf serializer's "k8s\x00" magic and runtime.Unknown
// envelope, at version v1.
type podCodec struct {
	enc runtime.Encoder
}

func newPodCodec() podCodec {
	ser := protobuf.NewSerializer(scheme.Scheme, scheme.Scheme)
	return podCodec{enc: scheme.Codecs.EncoderForVersion(ser, corev1.SchemeGroupVersion)}
}

// stored fills in what the API server adds on create — uid, creation
// timestamp, pending status — so the value has a realistic stored size.
func stored(pod *corev1.Pod) *corev1.Pod {
	pod.UID = types.UID(uuid.NewUUID())
	pod.CreationTimestamp = metav1.NewTime(time.Now().Truncate(time.Second))
	pod.Status = corev1.PodStatus{Phase: corev1.PodPending, QOSClass: corev1.PodQOSBurstable}
	return pod
}

func (c podCodec) encode(pod *corev1.Pod) ([]byte, error) {
	b, err := runtime.Encode(c.enc, pod)
	if err != nil {
		return nil, fmt.Errorf("encoding pod %s: %w", pod.Name, err)
	}
	return b, nil
}
