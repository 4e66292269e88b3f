package job

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

func isIndexed(job *batchv1.Job) bool {
	return job.Spec.CompletionMode != nil && *job.Spec.CompletionMode == batchv1.IndexedCompletion
}

// podIndex reads a pod's completion index (annotation, else label).
func podIndex(p *corev1.Pod, job *batchv1.Job) (int, bool) {
	v, ok := p.Annotations[batchv1.JobCompletionIndexAnnotation]
	if !ok {
		v, ok = p.Labels[batchv1.JobCompletionIndexAnnotation]
	}
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(v)
	if err != nil || i < 0 || job.Spec.Completions == nil || i >= int(*job.Spec.Completions) {
		return 0, false
	}
	return i, true
}

// parseIndexes reads status.completedIndexes ("1,3-5,7").
func parseIndexes(s string) []int {
	return parseIndexesBelow(s, math.MaxInt)
}

// parseIndexesBelow reads an index list, keeping the indexes below n.
func parseIndexesBelow(s string, n int) []int {
	var out []int
	for _, part := range strings.Split(s, ",") {
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				continue
			}
		}
		for i := a; i <= min(b, n-1); i++ {
			out = append(out, i)
		}
	}
	return out
}

// formatIndexes writes sorted, distinct indexes as upstream does: runs of
// three or more as ranges ("1,3-5,7"), a pair as two numbers ("0,1").
func formatIndexes(idx []int) string {
	var b strings.Builder
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && idx[j+1] == idx[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		switch j - i {
		case 0:
			fmt.Fprintf(&b, "%d", idx[i])
		case 1:
			fmt.Fprintf(&b, "%d,%d", idx[i], idx[j])
		default:
			fmt.Fprintf(&b, "%d-%d", idx[i], idx[j])
		}
		i = j + 1
	}
	return b.String()
}

func addIndex(s string, i int) string {
	idx := parseIndexes(s)
	if slices.Contains(idx, i) {
		return s
	}
	idx = append(idx, i)
	slices.Sort(idx)
	return formatIndexes(idx)
}
