package validation

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// CronSchedule is a parsed standard 5-field cron schedule (minute hour
// day-of-month month day-of-week), the dialect CronJob accepts. Each field
// is a bit set of allowed values.
type CronSchedule struct {
	minute, hour, dom, month, dow uint64
	// domStar/dowStar record a "*" or "?" field: when either is
	// restricted the day matches if dom OR dow matches (Vixie cron rule).
	domStar, dowStar bool
	every            time.Duration // @every <duration>
}

type cronField struct {
	min, max uint
	names    map[string]uint
}

var (
	cronMinute = cronField{0, 59, nil}
	cronHour   = cronField{0, 23, nil}
	cronDom    = cronField{1, 31, nil}
	cronMonth  = cronField{1, 12, map[string]uint{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
		"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}}
	cronDow = cronField{0, 6, map[string]uint{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}}

	cronMacros = map[string]string{
		"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
		"@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
	}
)

// ParseCronSchedule parses a 5-field cron spec or one of the @yearly,
// @annually, @monthly, @weekly, @daily, @midnight, @hourly and
// "@every <duration>" descriptors. Error texts follow robfig/cron, which
// upstream uses.
func ParseCronSchedule(spec string) (*CronSchedule, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, fmt.Errorf("empty spec string")
	}
	if strings.HasPrefix(spec, "@") {
		if rest, ok := strings.CutPrefix(spec, "@every "); ok {
			d, err := time.ParseDuration(strings.TrimSpace(rest))
			if err != nil {
				return nil, fmt.Errorf("failed to parse duration %s: %s", spec, err)
			}
			if d < time.Second {
				d = time.Second
			}
			return &CronSchedule{every: d - time.Duration(d.Nanoseconds())%time.Second}, nil
		}
		m, ok := cronMacros[strings.ToLower(spec)]
		if !ok {
			return nil, fmt.Errorf("unrecognized descriptor: %s", spec)
		}
		spec = m
	}
	fields := strings.Fields(spec)
	if len(fields) != 5 {
		return nil, fmt.Errorf("expected exactly 5 fields, found %d: %s", len(fields), fields)
	}
	s := &CronSchedule{}
	var err error
	for i, f := range []struct {
		dst *uint64
		def cronField
	}{{&s.minute, cronMinute}, {&s.hour, cronHour}, {&s.dom, cronDom}, {&s.month, cronMonth}, {&s.dow, cronDow}} {
		if *f.dst, err = parseCronField(fields[i], f.def); err != nil {
			return nil, err
		}
	}
	s.domStar = fields[2] == "*" || fields[2] == "?"
	s.dowStar = fields[4] == "*" || fields[4] == "?"
	return s, nil
}

func parseCronField(f string, def cronField) (uint64, error) {
	var bits uint64
	for _, part := range strings.Split(f, ",") {
		b, err := parseCronRange(part, def)
		if err != nil {
			return 0, err
		}
		bits |= b
	}
	return bits, nil
}

func parseCronRange(expr string, def cronField) (uint64, error) {
	rangeAndStep := strings.Split(expr, "/")
	lowAndHigh := strings.Split(rangeAndStep[0], "-")
	var start, end uint
	var err error
	singleDigit := len(lowAndHigh) == 1
	if lowAndHigh[0] == "*" || lowAndHigh[0] == "?" {
		start, end = def.min, def.max
		singleDigit = false
	} else {
		if start, err = parseCronValue(lowAndHigh[0], def); err != nil {
			return 0, err
		}
		switch len(lowAndHigh) {
		case 1:
			end = start
		case 2:
			if end, err = parseCronValue(lowAndHigh[1], def); err != nil {
				return 0, err
			}
		default:
			return 0, fmt.Errorf("too many hyphens: %s", expr)
		}
	}
	step := uint(1)
	switch len(rangeAndStep) {
	case 1:
	case 2:
		n, err := strconv.ParseUint(rangeAndStep[1], 10, 32)
		if err != nil {
			return 0, fmt.Errorf("failed to parse int from %s: %s", rangeAndStep[1], err)
		}
		step = uint(n)
		if singleDigit {
			end = def.max
		}
	default:
		return 0, fmt.Errorf("too many slashes: %s", expr)
	}
	switch {
	case start < def.min:
		return 0, fmt.Errorf("beginning of range (%d) below minimum (%d): %s", start, def.min, expr)
	case end > def.max:
		return 0, fmt.Errorf("end of range (%d) above maximum (%d): %s", end, def.max, expr)
	case start > end:
		return 0, fmt.Errorf("beginning of range (%d) beyond end of range (%d): %s", start, end, expr)
	case step == 0:
		return 0, fmt.Errorf("step of range should be a positive number: %s", expr)
	}
	var bits uint64
	for v := start; v <= end; v += step {
		bits |= 1 << v
	}
	return bits, nil
}

func parseCronValue(v string, def cronField) (uint, error) {
	if n, ok := def.names[strings.ToLower(v)]; ok {
		return n, nil
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("failed to parse int from %s: %s", v, err)
	}
	return uint(n), nil
}

// Next returns the first activation time strictly after t (in t's
// location), or the zero time if none exists within five years.
func (s *CronSchedule) Next(t time.Time) time.Time {
	if s.every > 0 {
		return t.Add(s.every - time.Duration(t.Nanosecond())*time.Nanosecond)
	}
	t = t.Truncate(time.Minute).Add(time.Minute)
	limit := t.AddDate(5, 0, 0)
	for t.Before(limit) {
		switch {
		case s.month&(1<<uint(t.Month())) == 0:
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, t.Location())
		case !s.dayMatches(t):
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, t.Location())
		case s.hour&(1<<uint(t.Hour())) == 0:
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+1, 0, 0, 0, t.Location())
		case s.minute&(1<<uint(t.Minute())) == 0:
			t = t.Add(time.Minute)
		default:
			return t
		}
	}
	return time.Time{}
}

func (s *CronSchedule) dayMatches(t time.Time) bool {
	dom := s.dom&(1<<uint(t.Day())) != 0
	dow := s.dow&(1<<uint(t.Weekday())) != 0
	if s.domStar || s.dowStar {
		return dom && dow
	}
	return dom || dow
}
