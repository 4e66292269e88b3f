package validation

import (
	"testing"
	"time"
)

func TestParseCronSchedule(t *testing.T) {
	valid := []string{"* * * * *", "*/5 * * * *", "0 0 1 1 *", "0-59/15 0,12 * * MON-FRI", "0 3 ? * sun",
		"@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually", "@every 1h30m", "5 4 * JAN-DEC 0-6"}
	for _, s := range valid {
		if _, err := ParseCronSchedule(s); err != nil {
			t.Errorf("%q: unexpected error %v", s, err)
		}
	}
	invalid := []string{"", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 7",
		"5-1 * * * *", "*/0 * * * *", "a * * * *", "@fortnightly", "@every soon", "1-2-3 * * * *", "*/2/3 * * * *"}
	for _, s := range invalid {
		if _, err := ParseCronSchedule(s); err == nil {
			t.Errorf("%q: expected error", s)
		}
	}
}

func TestCronNext(t *testing.T) {
	base := time.Date(2024, 1, 31, 23, 58, 30, 0, time.UTC) // a Wednesday
	cases := []struct {
		spec string
		want time.Time
	}{
		{"* * * * *", time.Date(2024, 1, 31, 23, 59, 0, 0, time.UTC)},
		{"*/15 * * * *", time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)},
		{"30 6 * * *", time.Date(2024, 2, 1, 6, 30, 0, 0, time.UTC)},
		{"0 0 29 2 *", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"0 9 * * MON", time.Date(2024, 2, 5, 9, 0, 0, 0, time.UTC)},
		{"0 0 15 * MON", time.Date(2024, 2, 5, 0, 0, 0, 0, time.UTC)}, // dom OR dow
		{"@monthly", time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)},
		{"@every 1h", base.Add(time.Hour)},
	}
	for _, tc := range cases {
		s, err := ParseCronSchedule(tc.spec)
		if err != nil {
			t.Fatalf("%q: %v", tc.spec, err)
		}
		if got := s.Next(base); !got.Equal(tc.want) {
			t.Errorf("%q: Next = %v, want %v", tc.spec, got, tc.want)
		}
	}
	s, _ := ParseCronSchedule("0 0 31 2 *") // never
	if got := s.Next(base); !got.IsZero() {
		t.Errorf("impossible schedule: got %v", got)
	}
}
