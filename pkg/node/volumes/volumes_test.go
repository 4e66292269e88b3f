package volumes_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"golang.org/x/sys/unix"

	"github.com/tinykube/tinykube/internal/controllertest"
	"github.com/tinykube/tinykube/internal/testserver"
	"github.com/tinykube/tinykube/pkg/node/volumes"
)

type env struct {
	t   *testing.T
	s   *testserver.Server
	m   *volumes.Manager
	clk *clocktesting.FakeClock
	ctx context.Context
}

func setup(t *testing.T) *env {
	s := testserver.Start(t, "")
	controllertest.CreateNamespace(t, s.Client, "app")
	clk := clocktesting.NewFakeClock(time.Now())
	m, err := volumes.New(volumes.Config{RootDir: t.TempDir(), Client: s.Client, Clock: clk,
		Allocatable: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")}})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, s: s, m: m, clk: clk, ctx: context.Background()}
}

func (e *env) must(_ any, err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

// pod returns a pod with volumes vs, one container mounting each at
// /v/<name>.
func pod(vs ...corev1.Volume) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "app", UID: "uid-1", Labels: map[string]string{"app": "web"},
		Annotations: map[string]string{"build": "42"}},
		Spec: corev1.PodSpec{Volumes: vs, Containers: []corev1.Container{{Name: "c", Image: "busybox",
			Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")}}}}}}
	for _, v := range vs {
		p.Spec.Containers[0].VolumeMounts = append(p.Spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: v.Name, MountPath: "/v/" + v.Name})
	}
	return p
}

// hostPath returns the host side of container c's mount at /v/<name>.
func (e *env) hostPath(p *corev1.Pod, name string) *runtimeapi.Mount {
	e.t.Helper()
	mounts, err := e.m.Mounts(p, &p.Spec.Containers[0], nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, mt := range mounts {
		if mt.ContainerPath == "/v/"+name {
			return mt
		}
	}
	e.t.Fatalf("no mount of %s", name)
	return nil
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func perm(t *testing.T, path string) os.FileMode {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Mode().Perm()
}

// TestConfigMap: items land at their paths with their modes through
// ..data; an update swaps ..data to a new timestamped directory and
// removes the old one and paths no longer projected; a missing
// ConfigMap is a MountError unless optional.
func TestConfigMap(t *testing.T) {
	e := setup(t)
	cms := e.s.Client.CoreV1().ConfigMaps("app")
	e.must(cms.Create(e.ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg"},
		Data: map[string]string{"a": "one", "b": "two"}, BinaryData: map[string][]byte{"bin": {0, 1, 2}}}, metav1.CreateOptions{}))
	p := pod(
		corev1.Volume{Name: "all", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}, DefaultMode: ptr.To[int32](0o640)}}},
		corev1.Volume{Name: "items", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"},
			Items:                []corev1.KeyToPath{{Key: "a", Path: "sub/dir/a.txt", Mode: ptr.To[int32](0o600)}, {Key: "b", Path: "b.txt"}}}}},
		corev1.Volume{Name: "optional", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: "absent"}, Optional: ptr.To(true)}}},
	)
	if err := e.m.SetUp(e.ctx, p); err != nil {
		t.Fatal(err)
	}
	all := e.hostPath(p, "all")
	if !all.Readonly || all.SelinuxRelabel || all.Propagation != runtimeapi.MountPropagation_PROPAGATION_PRIVATE {
		t.Errorf("mount = %+v, want read-only, private, no relabel", all)
	}
	if !strings.HasSuffix(all.HostPath, filepath.Join("pods", "uid-1", "volumes", "kubernetes.io~configmap", "all")) {
		t.Errorf("host path %s", all.HostPath)
	}
	if got := read(t, filepath.Join(all.HostPath, "a")); got != "one" {
		t.Errorf("a = %q", got)
	}
	if got := read(t, filepath.Join(all.HostPath, "bin")); got != "\x00\x01\x02" {
		t.Errorf("bin = %q", got)
	}
	if got := perm(t, filepath.Join(all.HostPath, "a")); got != 0o640 {
		t.Errorf("a mode %o, want 640", got)
	}
	if target, err := os.Readlink(filepath.Join(all.HostPath, "a")); err != nil || target != "..data/a" {
		t.Errorf("a links to %q (%v), want ..data/a", target, err)
	}
	items := e.hostPath(p, "items").HostPath
	if got := read(t, filepath.Join(items, "sub/dir/a.txt")); got != "one" {
		t.Errorf("sub/dir/a.txt = %q", got)
	}
	if got := perm(t, filepath.Join(items, "sub/dir/a.txt")); got != 0o600 {
		t.Errorf("item mode %o, want 600", got)
	}
	if got := perm(t, filepath.Join(items, "b.txt")); got != 0o644 {
		t.Errorf("default mode %o, want 644", got)
	}
	if _, err := os.Stat(filepath.Join(items, "a")); !os.IsNotExist(err) {
		t.Errorf("a key not in items is projected: %v", err)
	}
	if entries, err := os.ReadDir(e.hostPath(p, "optional").HostPath); err != nil || len(entries) != 2 { // ..data, ..<ts>
		t.Errorf("optional missing configmap: %d entries, %v", len(entries), err)
	}

	oldData, _ := os.Readlink(filepath.Join(items, "..data"))
	// An Update without a change writes nothing.
	if err := e.m.Update(e.ctx, p); err != nil {
		t.Fatal(err)
	}
	if d, _ := os.Readlink(filepath.Join(items, "..data")); d != oldData {
		t.Errorf("unchanged configmap swapped ..data %s -> %s", oldData, d)
	}
	cm, err := cms.Get(e.ctx, "cfg", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Data, cm.BinaryData = map[string]string{"a": "uno", "b": "two", "c": "three"}, nil
	e.must(cms.Update(e.ctx, cm, metav1.UpdateOptions{}))
	if err := e.m.Update(e.ctx, p); err != nil {
		t.Fatal(err)
	}
	newData, _ := os.Readlink(filepath.Join(items, "..data"))
	if newData == oldData || !strings.HasPrefix(newData, "..20") {
		t.Errorf("..data %s -> %s, want a new timestamped dir", oldData, newData)
	}
	if _, err := os.Stat(filepath.Join(items, oldData)); !os.IsNotExist(err) {
		t.Errorf("old %s left behind: %v", oldData, err)
	}
	if got := read(t, filepath.Join(items, "sub/dir/a.txt")); got != "uno" {
		t.Errorf("after update a = %q", got)
	}
	if got := read(t, filepath.Join(all.HostPath, "c")); got != "three" {
		t.Errorf("after update c = %q", got)
	}
	if _, err := os.Lstat(filepath.Join(all.HostPath, "bin")); !os.IsNotExist(err) {
		t.Errorf("bin no longer in the configmap but still projected: %v", err)
	}

	// A missing ConfigMap or key: a MountError per volume, the others
	// still set up.
	bad := pod(
		corev1.Volume{Name: "missing", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: "nope"}}}},
		corev1.Volume{Name: "badkey", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}, Items: []corev1.KeyToPath{{Key: "zzz", Path: "z"}}}}},
		corev1.Volume{Name: "fine", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
	)
	bad.UID = "uid-bad"
	err = e.m.SetUp(e.ctx, bad)
	merrs := volumes.MountErrors(err)
	if len(merrs) != 2 {
		t.Fatalf("mount errors %v", err)
	}
	if got := merrs[0].Error(); got != `MountVolume.SetUp failed for volume "missing" : configmap "nope" not found` {
		t.Errorf("error = %s", got)
	}
	if got := merrs[1].Error(); !strings.Contains(got, `"badkey"`) || !strings.Contains(got, "zzz") {
		t.Errorf("error = %s", got)
	}
	if _, err := e.m.Mounts(bad, &bad.Spec.Containers[0], nil); err == nil {
		t.Error("mounts of a pod whose volumes are not set up")
	}
}

// TestSecretAndDownwardAPI: a secret's files with its defaultMode; a
// downwardAPI volume's fields and resources; fsGroup makes them the
// group's.
func TestSecretAndDownwardAPI(t *testing.T) {
	e := setup(t)
	e.must(e.s.Client.CoreV1().Secrets("app").Create(e.ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "creds"},
		Data: map[string][]byte{"password": []byte("s3cret")}}, metav1.CreateOptions{}))
	p := pod(
		corev1.Volume{Name: "sec", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "creds", DefaultMode: ptr.To[int32](0o400)}}},
		corev1.Volume{Name: "info", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{Items: []corev1.DownwardAPIVolumeFile{
			{Path: "name", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}},
			{Path: "labels", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels"}},
			{Path: "build", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.annotations['build']"}},
			{Path: "mem", ResourceFieldRef: &corev1.ResourceFieldSelector{ContainerName: "c", Resource: "limits.memory", Divisor: resource.MustParse("1Mi")}},
		}}}},
	)
	p.Spec.SecurityContext = &corev1.PodSecurityContext{FSGroup: ptr.To[int64](1234)}
	if err := e.m.SetUp(e.ctx, p); err != nil {
		t.Fatal(err)
	}
	sec := e.hostPath(p, "sec").HostPath
	if got := read(t, filepath.Join(sec, "password")); got != "s3cret" {
		t.Errorf("password = %q", got)
	}
	if got := perm(t, filepath.Join(sec, "password")); got != 0o440 { // 0400 | group read for fsGroup
		t.Errorf("password mode %o, want 440", got)
	}
	if os.Geteuid() == 0 {
		info, _ := os.Stat(filepath.Join(sec, "password"))
		if gid := info.Sys().(*syscall.Stat_t).Gid; gid != 1234 {
			t.Errorf("password group %d, want fsGroup 1234", gid)
		}
	}
	info := e.hostPath(p, "info").HostPath
	for file, want := range map[string]string{"name": "p", "labels": `app="web"`, "build": "42", "mem": "64"} {
		if got := read(t, filepath.Join(info, file)); got != want {
			t.Errorf("downwardAPI %s = %q, want %q", file, got, want)
		}
	}
	// Secrets must not linger after the pod.
	if err := e.m.Teardown(p.UID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(e.m.PodDir(p.UID)); !os.IsNotExist(err) {
		t.Errorf("pod dir left after teardown: %v", err)
	}
}

// TestProjectedToken: a projected volume with a service account token
// (TokenReview accepts it for its audience), the root CA configMap and
// the namespace; the token is renewed once 80% of its life has passed.
func TestProjectedToken(t *testing.T) {
	e := setup(t)
	e.must(e.s.Client.CoreV1().ServiceAccounts("app").Create(e.ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "builder"}}, metav1.CreateOptions{}))
	e.must(e.s.Client.CoreV1().ConfigMaps("app").Create(e.ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "kube-root-ca.crt"},
		Data: map[string]string{"ca.crt": "CA"}}, metav1.CreateOptions{}))
	p := pod(corev1.Volume{Name: "api", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
		DefaultMode: ptr.To[int32](0o644),
		Sources: []corev1.VolumeProjection{
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Audience: "vault", ExpirationSeconds: ptr.To[int64](600), Path: "token"}},
			{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"},
				Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
			{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{
				{Path: "namespace", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}}}},
		}}}})
	p.UID = ""
	p.Spec.ServiceAccountName = "builder"
	created, err := e.s.Client.CoreV1().Pods("app").Create(e.ctx, p, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p = created
	if err := e.m.SetUp(e.ctx, p); err != nil {
		t.Fatal(err)
	}
	dir := e.hostPath(p, "api").HostPath
	if !strings.Contains(dir, "kubernetes.io~projected") {
		t.Errorf("dir %s", dir)
	}
	if got := read(t, filepath.Join(dir, "ca.crt")); got != "CA" {
		t.Errorf("ca.crt = %q", got)
	}
	if got := read(t, filepath.Join(dir, "namespace")); got != "app" {
		t.Errorf("namespace = %q", got)
	}
	tok := read(t, filepath.Join(dir, "token"))
	review := func(tok string) *authenticationv1.TokenReview {
		t.Helper()
		r, err := e.s.Client.AuthenticationV1().TokenReviews().Create(e.ctx, &authenticationv1.TokenReview{
			Spec: authenticationv1.TokenReviewSpec{Token: tok, Audiences: []string{"vault"}}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := review(tok)
	if !r.Status.Authenticated || r.Status.User.Username != "system:serviceaccount:app:builder" {
		t.Fatalf("token review: %+v", r.Status)
	}
	if podName := r.Status.User.Extra["authentication.kubernetes.io/pod-name"]; len(podName) != 1 || podName[0] != "p" {
		t.Errorf("token not bound to the pod: extra %v", r.Status.User.Extra)
	}

	// Not yet due: the same token.
	e.clk.Step(7 * time.Minute)
	if err := e.m.Update(e.ctx, p); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(dir, "token")); got != tok {
		t.Error("token renewed before 80% of its life")
	}
	// Past 80% of 10 minutes: a new one.
	e.clk.Step(2 * time.Minute)
	if err := e.m.Update(e.ctx, p); err != nil {
		t.Fatal(err)
	}
	renewed := read(t, filepath.Join(dir, "token"))
	if renewed == tok {
		t.Error("token not renewed past 80% of its life")
	}
	if r := review(renewed); !r.Status.Authenticated {
		t.Errorf("renewed token rejected: %+v", r.Status)
	}
}

// TestHostPath: every type's check, and creation by the *OrCreate types.
func TestHostPath(t *testing.T) {
	e := setup(t)
	base := t.TempDir()
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(base, "s.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, tc := range []struct {
		path    string
		typ     corev1.HostPathType
		wantErr string
	}{
		{base, corev1.HostPathUnset, ""},
		{filepath.Join(base, "nowhere"), corev1.HostPathUnset, ""},
		{base, corev1.HostPathDirectory, ""},
		{file, corev1.HostPathDirectory, "is not a directory"},
		{filepath.Join(base, "nowhere"), corev1.HostPathDirectory, "does not exist"},
		{filepath.Join(base, "made/deep"), corev1.HostPathDirectoryOrCreate, ""},
		{file, corev1.HostPathDirectoryOrCreate, "is not a directory"},
		{file, corev1.HostPathFile, ""},
		{base, corev1.HostPathFile, "is not a file"},
		{filepath.Join(base, "new-file"), corev1.HostPathFileOrCreate, ""},
		{filepath.Join(base, "no-dir/new-file"), corev1.HostPathFileOrCreate, "no such file"},
		{sock, corev1.HostPathSocket, ""},
		{file, corev1.HostPathSocket, "is not a socket file"},
		{"/dev/null", corev1.HostPathCharDev, ""},
		{file, corev1.HostPathCharDev, "is not a character device"},
		{file, corev1.HostPathBlockDev, "is not a block device"},
		{base, "Bogus", "unknown type"},
	} {
		p := pod(corev1.Volume{Name: "h", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: tc.path, Type: ptr.To(tc.typ)}}})
		err := e.m.SetUp(e.ctx, p)
		if tc.wantErr == "" {
			if err != nil {
				t.Errorf("%s %s: %v", tc.typ, tc.path, err)
				continue
			}
			if mt := e.hostPath(p, "h"); mt.HostPath != tc.path || mt.Readonly {
				t.Errorf("%s: mount %+v", tc.typ, mt)
			}
			if _, err := os.Stat(tc.path); err != nil && tc.typ != corev1.HostPathUnset {
				t.Errorf("%s %s: %v after setup", tc.typ, tc.path, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s %s: error %v, want %q", tc.typ, tc.path, err, tc.wantErr)
		}
		e.m.Teardown(p.UID)
	}
}

// TestEmptyDirAndSubPath: a disk emptyDir survives Update; subPath makes
// a directory inside it and refuses to leave it; mount flags follow the
// volumeMount; Teardown removes it.
func TestEmptyDirAndSubPath(t *testing.T) {
	e := setup(t)
	p := pod(corev1.Volume{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
	if err := e.m.SetUp(e.ctx, p); err != nil {
		t.Fatal(err)
	}
	dir := e.hostPath(p, "scratch").HostPath
	if got := perm(t, dir); got != 0o777 {
		t.Errorf("emptyDir mode %o", got)
	}
	if err := os.WriteFile(filepath.Join(dir, "keep"), []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc", filepath.Join(dir, "escape")); err != nil {
		t.Fatal(err)
	}
	if err := e.m.SetUp(e.ctx, p); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(dir, "keep")); got != "data" {
		t.Errorf("emptyDir lost its data on a second SetUp: %q", got)
	}
	bidi := corev1.MountPropagationBidirectional
	c := &corev1.Container{Name: "c", VolumeMounts: []corev1.VolumeMount{
		{Name: "scratch", MountPath: "/a", SubPath: "x/y", ReadOnly: true, MountPropagation: &bidi},
		{Name: "scratch", MountPath: "/b", SubPathExpr: "$(POD)/logs"},
	}}
	mounts, err := e.m.Mounts(p, c, func(n string) (string, bool) { return map[string]string{"POD": "p"}[n], n == "POD" })
	if err != nil {
		t.Fatal(err)
	}
	if m := mounts[0]; m.HostPath != filepath.Join(dir, "x/y") || !m.Readonly || m.Propagation != runtimeapi.MountPropagation_PROPAGATION_BIDIRECTIONAL {
		t.Errorf("subPath mount %+v", m)
	}
	if m := mounts[1]; m.HostPath != filepath.Join(dir, "p/logs") {
		t.Errorf("subPathExpr mount %+v", m)
	}
	if info, err := os.Stat(filepath.Join(dir, "p/logs")); err != nil || !info.IsDir() {
		t.Errorf("subPath dir not made: %v", err)
	}
	for _, sub := range []string{"../../etc", "/etc", "escape", "a/../../x"} {
		c := &corev1.Container{Name: "c", VolumeMounts: []corev1.VolumeMount{{Name: "scratch", MountPath: "/a", SubPath: sub}}}
		if _, err := e.m.Mounts(p, c, nil); err == nil {
			t.Errorf("subPath %q accepted", sub)
		}
	}
	if err := e.m.Teardown(p.UID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("emptyDir left: %v", err)
	}
	if _, err := os.Stat("/etc/passwd"); err != nil {
		t.Errorf("teardown followed a symlink out: %v", err)
	}
}

// TestEmptyDirMemory: medium Memory is a tmpfs of sizeLimit, unmounted
// and removed on Teardown.
func TestEmptyDirMemory(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting tmpfs needs root")
	}
	e := setup(t)
	size := resource.MustParse("8Mi")
	p := pod(corev1.Volume{Name: "mem", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{
		Medium: corev1.StorageMediumMemory, SizeLimit: &size}}})
	if err := e.m.SetUp(e.ctx, p); err != nil {
		t.Fatal(err)
	}
	dir := e.hostPath(p, "mem").HostPath
	t.Cleanup(func() { _ = unix.Unmount(dir, unix.MNT_DETACH) })
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	if st.Type != unix.TMPFS_MAGIC {
		t.Fatalf("filesystem type %x, want tmpfs", st.Type)
	}
	if total := int64(st.Blocks) * st.Bsize; total != size.Value() {
		t.Errorf("tmpfs size %d, want %d", total, size.Value())
	}
	// A second SetUp does not stack another tmpfs.
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := e.m.SetUp(e.ctx, p); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(dir, "f")); got != "x" {
		t.Error("second SetUp hid the tmpfs contents")
	}
	if err := e.m.Teardown(p.UID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("tmpfs dir left: %v", err)
	}
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mi), dir) {
		t.Error("tmpfs still mounted after teardown")
	}
}

// TestClaim: a missing or unbound claim waits with a MountError; once
// bound to a hostPath PV, its path is the mount (made if
// DirectoryOrCreate); a local PV's path must exist.
func TestClaim(t *testing.T) {
	e := setup(t)
	claims := e.s.Client.CoreV1().PersistentVolumeClaims("app")
	p := pod(corev1.Volume{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}})
	if err := e.m.SetUp(e.ctx, p); err == nil || !strings.Contains(err.Error(), `persistentvolumeclaim "data" not found`) {
		t.Fatalf("missing claim: %v", err)
	}
	pvc, err := claims.Create(e.ctx, &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "data"},
		Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}}},
		metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	err = e.m.SetUp(e.ctx, p)
	var me *volumes.MountError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "is not bound") {
		t.Fatalf("unbound claim: %v", err)
	}
	path := filepath.Join(t.TempDir(), "pv-1")
	e.must(e.s.Client.CoreV1().PersistentVolumes().Create(e.ctx, &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv-1"},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:               corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
			AccessModes:            []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: path, Type: ptr.To(corev1.HostPathDirectoryOrCreate)}},
			ClaimRef:               &corev1.ObjectReference{Kind: "PersistentVolumeClaim", Namespace: "app", Name: "data", UID: pvc.UID},
		}}, metav1.CreateOptions{}))
	pvc.Spec.VolumeName = "pv-1"
	if pvc, err = claims.Update(e.ctx, pvc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	pvc.Status.Phase = corev1.ClaimBound
	if _, err := claims.UpdateStatus(e.ctx, pvc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := e.m.SetUp(e.ctx, p); err != nil {
		t.Fatal(err)
	}
	if mt := e.hostPath(p, "data"); mt.HostPath != path || mt.Readonly {
		t.Errorf("claim mount %+v", mt)
	}
	if info, err := os.Stat(path); err != nil || !info.IsDir() {
		t.Errorf("DirectoryOrCreate PV path not made: %v", err)
	}
	// Teardown leaves the volume's data alone.
	if err := os.WriteFile(filepath.Join(path, "keep"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := e.m.Teardown(p.UID); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(path, "keep")); got != "x" {
		t.Error("teardown removed the PV's data")
	}
}

// TestCleanupOrphans: the volumes of pods no longer running are removed;
// running pods' and other directories are kept.
func TestCleanupOrphans(t *testing.T) {
	e := setup(t)
	live, gone := pod(corev1.Volume{Name: "d", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}), pod()
	gone.UID = "uid-gone"
	gone.Spec.Volumes = live.Spec.Volumes
	for _, p := range []*corev1.Pod{live, gone} {
		if err := e.m.SetUp(e.ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	logs := filepath.Join(filepath.Dir(e.m.PodDir("x")), "app_p_uid-gone")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := e.m.CleanupOrphans(func(uid types.UID) bool { return uid == live.UID }); err != nil {
		t.Fatal(err)
	}
	for dir, want := range map[string]bool{e.m.PodDir(live.UID): true, e.m.PodDir(gone.UID): false, logs: true} {
		if _, err := os.Stat(dir); (err == nil) != want {
			t.Errorf("%s: exists %v, want %v", dir, err == nil, want)
		}
	}
}
