package etcd

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestRestartDoesNotPopulateDB checks that reopening a small db does not
// make its whole (mostly empty) file resident, as etcd's MAP_POPULATE did.
func TestRestartDoesNotPopulateDB(t *testing.T) {
	dir := t.TempDir()
	e := start(t, Config{DataDir: dir})
	if _, err := e.Client().Put(context.Background(), "/k", "v"); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "member", "snap", "db")
	fi, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() < 8<<20 {
		t.Skipf("db file is only %d bytes; nothing to show", fi.Size())
	}

	e = start(t, Config{DataDir: dir})
	defer e.Close()
	rss := mappedRSS(t, db)
	t.Logf("db file %d MiB, resident %d KiB after restart", fi.Size()>>20, rss>>10)
	if rss > 4<<20 {
		t.Fatalf("after restart %d KiB of the %d MiB db file are resident; want the unused part left unread", rss>>10, fi.Size()>>20)
	}
}

// mappedRSS sums the resident bytes of this process's mappings of path.
func mappedRSS(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		in    bool
		total int64
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			in = len(fields) >= 6 && fields[len(fields)-1] == path
			continue
		}
		if in && fields[0] == "Rss:" {
			kb, _ := strconv.ParseInt(fields[1], 10, 64)
			total += kb << 10
		}
	}
	// Not mapped at all would also read as 0.
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(maps), " "+path+"\n") {
		t.Fatalf("%s is not mapped", path)
	}
	return total
}
