//go:build !linux

package etcd

func noPopulate() {}
