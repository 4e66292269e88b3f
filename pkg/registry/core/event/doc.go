// Package event is the core/v1 events resource: events select on their
// involved object (kubectl describe reads them that way).
package event
