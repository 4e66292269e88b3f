package framework

import "strings"

// Code is the outcome of a plugin call.
type Code int

const (
	// Success: the node passes (or the score is valid).
	Success Code = iota
	// Unschedulable: the pod does not fit the node now, but evicting
	// lower-priority pods might make it fit (preemption considers it).
	Unschedulable
	// UnschedulableAndUnresolvable: no preemption can make the pod fit
	// this node (its labels, taints or size rule it out).
	UnschedulableAndUnresolvable
	// Skip from PreFilter/PreScore: the plugin has nothing to do for this
	// pod; its Filter/Score is not called.
	Skip
	// Error: an internal problem; the pod is retried with backoff.
	Error
)

// Status is a plugin's answer. A nil *Status means Success.
type Status struct {
	code    Code
	reasons []string
	plugin  string
}

// NewStatus returns a status with the given reasons, each a short phrase
// that goes into the FailedScheduling message as upstream words it
// ("Insufficient cpu").
func NewStatus(code Code, reasons ...string) *Status {
	return &Status{code: code, reasons: reasons}
}

// AsStatus wraps an internal error.
func AsStatus(err error) *Status { return &Status{code: Error, reasons: []string{err.Error()}} }

// Code returns the status code; nil is Success.
func (s *Status) Code() Code {
	if s == nil {
		return Success
	}
	return s.code
}

// IsSuccess reports whether s is nil or Success.
func (s *Status) IsSuccess() bool { return s.Code() == Success }

// IsRejected reports whether the pod was found unschedulable (as opposed
// to succeeding or failing with an internal error).
func (s *Status) IsRejected() bool {
	c := s.Code()
	return c == Unschedulable || c == UnschedulableAndUnresolvable
}

// Reasons returns the reasons.
func (s *Status) Reasons() []string {
	if s == nil {
		return nil
	}
	return s.reasons
}

// Message joins the reasons.
func (s *Status) Message() string {
	if s == nil {
		return ""
	}
	return strings.Join(s.reasons, ", ")
}

// Plugin returns the plugin that produced s, once the framework set it.
func (s *Status) Plugin() string {
	if s == nil {
		return ""
	}
	return s.plugin
}

// WithPlugin records which plugin produced s and returns s.
func (s *Status) WithPlugin(name string) *Status {
	if s != nil {
		s.plugin = name
	}
	return s
}
