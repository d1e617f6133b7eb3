package supervise

import (
	"errors"
	"testing"
	"time"
)

func TestParseReadiness(t *testing.T) {
	tests := []struct {
		in   string
		want Readiness
	}{
		{"starting 42\n", Readiness{PID: 42}},
		{"ready 42\n", Readiness{PID: 42, Ready: true}},
		{"ready 42", Readiness{PID: 42, Ready: true}},
		{"ready 0\n", Readiness{}},
		{"ready -3\n", Readiness{}},
		{"done 42\n", Readiness{}},
		{"", Readiness{}},
		{"ready  42\n", Readiness{}},
	}
	for _, tt := range tests {
		if got := ParseReadiness([]byte(tt.in)); got != tt.want {
			t.Errorf("ParseReadiness(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		if got := ParseReadiness(ReadyLine(tt.want.PID, tt.want.Ready)); tt.want.PID != 0 && got != tt.want {
			t.Errorf("ParseReadiness(ReadyLine(%+v)) = %+v", tt.want, got)
		}
	}
	if r := (Readiness{PID: 42}); !r.Pending(42) || r.Pending(43) || r.Pending(0) {
		t.Errorf("Pending of %+v wrong", r)
	}
	if r := (Readiness{PID: 42, Ready: true}); r.Pending(42) {
		t.Errorf("%+v is pending", r)
	}
}

func TestParseNotificationFD(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr error
	}{
		{in: "3\n", want: 3},
		{in: " 7 ", want: 7},
		{in: "2", wantErr: ErrBadValue},
		{in: "+4", wantErr: ErrBadValue},
		{in: "1024", wantErr: ErrBadValue},
		{in: "three", wantErr: ErrBadValue},
		{in: "", wantErr: ErrBadValue},
	}
	for _, tt := range tests {
		got, err := ParseNotificationFD([]byte(tt.in))
		if !errors.Is(err, tt.wantErr) || got != tt.want {
			t.Errorf("ParseNotificationFD(%q) = %d, %v; want %d, %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestRestartBackoff(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		in      string
		want    Backoff
		wantErr error
	}{
		{in: "200 4000 30000\n", want: Backoff{200 * ms, 4000 * ms, 30000 * ms}},
		{in: "200\t200  0", want: Backoff{200 * ms, 200 * ms, 0}},
		{in: "500 100 1000", wantErr: ErrBadValue},
		{in: "200 4000", wantErr: ErrBadValue},
		{in: "200ms 4s 30s", wantErr: ErrBadValue},
	}
	for _, tt := range tests {
		got, err := ParseRestartBackoff([]byte(tt.in))
		if !errors.Is(err, tt.wantErr) || got != tt.want {
			t.Errorf("ParseRestartBackoff(%q) = %+v, %v; want %+v, %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err == nil {
			if back, _ := ParseRestartBackoff([]byte(got.Line())); back != got {
				t.Errorf("ParseRestartBackoff(%q) = %+v, want %+v", got.Line(), back, got)
			}
		}
	}
	b := Backoff{200 * ms, 4000 * ms, 30000 * ms}
	var waits []time.Duration
	prev := time.Duration(0)
	for range 7 {
		prev = b.Next(prev, 10*ms)
		waits = append(waits, prev)
	}
	want := []time.Duration{200 * ms, 400 * ms, 800 * ms, 1600 * ms, 3200 * ms, 4000 * ms, 4000 * ms}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("waits after quick failures = %v, want %v", waits, want)
		}
	}
	if got := b.Next(4000*ms, 30*time.Second); got != 200*ms {
		t.Errorf("after a run of reset_after the wait is %v, want the first delay", got)
	}
}

func TestBackoffLine(t *testing.T) {
	due := time.Unix(1765000000, 123456000)
	p, ok := ParseBackoff(BackoffLine(due, 1600*time.Millisecond))
	if !ok || !p.Due.Equal(time.Unix(1765000000, 123456500)) || p.Delay != 1600*time.Millisecond {
		t.Errorf("ParseBackoff(BackoffLine) = %+v, %v", p, ok)
	}
	// Either case of hex digits, as encoding/hex (used here before) took.
	if p, ok := ParseBackoff([]byte("@400000006553F10A075BCBF4 5\n")); !ok || !p.Due.Equal(time.Unix(1700000000, 123456500)) || p.Delay != 5*time.Millisecond {
		t.Errorf("ParseBackoff(upper case) = %+v, %v", p, ok)
	}
	for _, bad := range []string{"", "@4000 1600\n", "@40000000693a1f3007bc7a84 x\n", "1600\n", "@40000000693a1f3007bc7a8g 1600\n", "@+0000000693a1f3007bc7a84 1600\n"} {
		if _, ok := ParseBackoff([]byte(bad)); ok {
			t.Errorf("ParseBackoff(%q) ok", bad)
		}
	}
}
