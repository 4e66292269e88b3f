package etcd

import (
	_ "unsafe" // for go:linkname

	bolt "go.etcd.io/bbolt"
	_ "go.etcd.io/etcd/server/v3/storage/backend" // defines boltOpenOptions
)

// boltOpenOptions is the options etcd's backend opens its bbolt file with.
// On Linux etcd sets MAP_POPULATE there, so that reopening the file reads
// all of it into memory at once. bbolt grows the file 16 MiB at a time, so
// a small cluster's db is 16 MiB of which a few hundred KiB are used, and
// every restart made the whole file resident: 16 MB of RSS, most of it
// zeroes. etcd offers no setting for it, hence the linkname.
//
//go:linkname boltOpenOptions go.etcd.io/etcd/server/v3/storage/backend.boltOpenOptions
var boltOpenOptions *bolt.Options

// noPopulate makes etcd map its db lazily: pages are read as etcd touches
// them (on start it reads every live key to rebuild its index, so those are
// resident anyway) and unused ones never are.
func noPopulate() {
	if boltOpenOptions != nil {
		boltOpenOptions.MmapFlags = 0
	}
}
