package images

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/tinykube/tinykube/pkg/node/containerd"
)

// Flags locate the runtime.
type Flags struct {
	// Endpoint is a CRI endpoint (unix:///path); it wins over DataDir.
	Endpoint string
	// DataDir is a node's data dir; its private containerd's socket is
	// found under it.
	DataDir string
	// Ctr is the ctr binary ("": from PATH).
	Ctr     string
	Timeout time.Duration
}

func (f *Flags) add(fs *pflag.FlagSet) {
	fs.StringVar(&f.Endpoint, "container-runtime-endpoint", "", "CRI endpoint (unix:///path/containerd.sock); default: the private containerd under --data-dir")
	fs.StringVar(&f.DataDir, "data-dir", f.DataDir, "data dir of the node whose containerd to use (tinykube server --node: DATA-DIR/node)")
	fs.StringVar(&f.Ctr, "ctr", "", "ctr binary used by import (default: from PATH)")
	fs.DurationVar(&f.Timeout, "timeout", f.Timeout, "give up after this long")
}

// NewCommand returns `tinykube images` and its children.
func NewCommand() *cobra.Command {
	f := &Flags{DataDir: defaultDataDir, Timeout: 5 * time.Minute}
	cmd := &cobra.Command{
		Use:   "images",
		Short: "Import images into a node's container runtime and list them",
		Args:  cobra.NoArgs,
	}
	f.add(cmd.PersistentFlags())
	cmd.AddCommand(
		&cobra.Command{
			Use:   "import FILE...",
			Short: "Load docker-archive or OCI layout tars into the node's containerd",
			Args:  cobra.MinimumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				ctx, cancel := context.WithTimeout(cmd.Context(), f.Timeout)
				defer cancel()
				return runImport(ctx, f, args, cmd.OutOrStdout())
			},
		},
		&cobra.Command{
			Use:     "ls",
			Aliases: []string{"list"},
			Short:   "List the node's images (IMAGE TAG IMAGE ID SIZE, as crictl images)",
			Args:    cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				ctx, cancel := context.WithTimeout(cmd.Context(), f.Timeout)
				defer cancel()
				svc, ep, err := dial(ctx, f)
				if err != nil {
					return err
				}
				defer svc.Close(ctx)
				imgs, err := svc.ListImages(ctx, nil)
				if err != nil {
					return fmt.Errorf("listing images at %s: %w", ep, err)
				}
				return printImages(cmd.OutOrStdout(), imgs)
			},
		},
	)
	return cmd
}

// runImport imports each file in turn, then prints the names the
// runtime now holds that it did not hold before (or that moved to
// another image).
func runImport(ctx context.Context, f *Flags, files []string, out io.Writer) error {
	svc, ep, err := dial(ctx, f)
	if err != nil {
		return err
	}
	defer svc.Close(ctx)
	before, err := svc.ListImages(ctx, nil)
	if err != nil {
		return fmt.Errorf("listing images at %s: %w", ep, err)
	}
	for _, file := range files {
		if _, err := os.Stat(file); err != nil {
			return err
		}
		if err := containerd.Import(ctx, f.Ctr, ep, file); err != nil {
			return err
		}
	}
	after, err := svc.ListImages(ctx, nil)
	if err != nil {
		return err
	}
	old := map[string]string{}
	for _, img := range before {
		for _, t := range img.RepoTags {
			old[t] = img.Id
		}
	}
	var imported []string
	for _, img := range after {
		for _, t := range img.RepoTags {
			if old[t] != img.Id {
				imported = append(imported, fmt.Sprintf("%s (%s)", t, shortID(img.Id)))
			}
		}
	}
	sort.Strings(imported)
	for _, name := range imported {
		fmt.Fprintln(out, "imported", name)
	}
	if len(imported) == 0 {
		fmt.Fprintln(out, "nothing new: every image in", strings.Join(files, ", "), "was already there")
	}
	return nil
}

// printImages prints one row per repo tag (an untagged image once, by
// its digest's repository), sorted, as crictl images does.
func printImages(out io.Writer, imgs []*runtimeapi.Image) error {
	type row struct{ repo, tag, id, size string }
	var rows []row
	for _, img := range imgs {
		id, size := shortID(img.Id), humanSize(img.Size)
		for _, t := range img.RepoTags {
			repo, tag := splitTag(t)
			rows = append(rows, row{repo, tag, id, size})
		}
		if len(img.RepoTags) == 0 {
			repo := "<none>"
			if len(img.RepoDigests) > 0 {
				repo, _, _ = strings.Cut(img.RepoDigests[0], "@")
			}
			rows = append(rows, row{repo, "<none>", id, size})
		}
	}
	slices.SortFunc(rows, func(a, b row) int { return strings.Compare(a.repo+" "+a.tag, b.repo+" "+b.tag) })
	w := tabwriter.NewWriter(out, 0, 0, 3, ' ', 0)
	fmt.Fprintln(w, "IMAGE\tTAG\tIMAGE ID\tSIZE")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.repo, r.tag, r.id, r.size)
	}
	return w.Flush()
}

// splitTag splits "host:port/repo:tag" at the tag's colon (one after the
// last slash).
func splitTag(ref string) (string, string) {
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[:i], ref[i+1:]
	}
	return ref, "<none>"
}

// shortID is the first 13 hex digits of an image ID, as crictl prints.
func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 13 {
		id = id[:13]
	}
	return id
}

// humanSize prints bytes in decimal units with 3 significant digits
// ("1.15MB"), as crictl (docker/go-units) does.
func humanSize(n uint64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	size, i := float64(n), 0
	for size >= 1000 && i < len(units)-1 {
		size /= 1000
		i++
	}
	return fmt.Sprintf("%.3g%s", size, units[i])
}
