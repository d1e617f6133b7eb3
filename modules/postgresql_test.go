package modules_test

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"sysconf/internal/testenv"
)

// idle is a service that keeps the machine's runsvdir busy before the
// databases come: a running machine, not one whose /service is new.
const idle = `
service "idle" {
  command = ["sleep", "1000000"]
}
`

// pgDescription is a primary and its in-memory replica on replicaPort,
// with a tmpfs of size.
func pgDescription(replicaPort int, size string) string {
	return idle + fmt.Sprintf(`
# The data folder made beforehand, as a machine may declare it: initdb
# fills the empty folder.
directory "/var/lib/postgresql/data" {
  owner = "postgres"
  mode  = "0700"
}

module "db" {
  source = "postgresql"
  # The test's cluster is thrown away: no fsync.
  settings = { fsync = "off" }
}

module "shm" {
  source  = "pg_shm"
  primary = module.db
  port    = %d
  size    = "%s"
}
`, replicaPort, size)
}

// tmpfs fails the test unless path is a tmpfs mount whose size option is
// size (as /proc/self/mounts shows it, in KiB: "163840k").
func (m *machine) tmpfs(path, size string) {
	m.t.Helper()
	var line string
	for _, l := range strings.Split(m.run("cat", "/proc/self/mounts"), "\n") {
		if f := strings.Fields(l); len(f) > 3 && f[1] == path {
			line = l
		}
	}
	if f := strings.Fields(line); len(f) < 4 || f[2] != "tmpfs" || !strings.Contains(","+f[3]+",", ",size="+size+",") {
		m.t.Errorf("%s is not a tmpfs of size=%s: %q", path, size, line)
	}
}

// psql runs SQL in the machine as postgres on port and returns the output
// (unaligned, tuples only) and the exit code.
func (m *machine) psql(port int, sql string) (string, string, int) {
	m.t.Helper()
	out, errOut, code := m.try("chpst", "-u", "postgres", "psql", "-X", "-A", "-t", "-q",
		"-h", "/run/postgresql", "-p", strconv.Itoa(port), "-d", "postgres", "-c", sql)
	return strings.TrimSpace(out), errOut, code
}

// replicaHas waits until the replica on port returns want for sql.
func (m *machine) replicaHas(port int, sql, want string, within time.Duration) time.Duration {
	m.t.Helper()
	start := time.Now()
	m.eventually(within, func() string {
		out, errOut, code := m.psql(port, sql)
		if code != 0 || out != want {
			return fmt.Sprintf("replica on %d: %q gives %q (exit %d, %s), want %q", port, sql, out, code, strings.TrimSpace(errOut), want)
		}
		return ""
	})
	return time.Since(start)
}

// postmaster returns the replica's postmaster pid in the machine, from
// postmaster.pid.
func (m *machine) postmaster(dataDir string) int {
	m.t.Helper()
	out := m.run("head", "-n", "1", dataDir+"/postmaster.pid")
	pid, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		m.t.Fatalf("postmaster.pid: %q", out)
	}
	return pid
}

// TestPostgresqlWithPgShm runs a real PostgreSQL primary and its pg_shm
// replica with sysconf, as the seed's recipe promises: rows flow to the
// replica, which is read-only and lives on a tmpfs of the declared size;
// it survives kill -9 of its postmaster and a restart of the primary; a
// port change restarts the replica alone; after its tmpfs was emptied (a
// reboot) or when the primary is made anew, it seeds itself again.
func TestPostgresqlWithPgShm(t *testing.T) {
	require(t, "postgresql", "/usr/lib/postgresql")
	m := newMachine(t)

	// The first apply makes /service, which runsvdir finds at its next scan
	// (5 s): that is the machine's first boot, not the databases'.
	first := m.apply(idle, 30*time.Second)
	t.Logf("FIGURE first apply of a fresh machine (one idle service): %v", first.Round(time.Millisecond))
	took := m.apply(pgDescription(5434, "160m"), 120*time.Second)
	// apply waits for both checks (pg_isready), so the replica answers now.
	if out, errOut, code := m.psql(5434, "SELECT pg_is_in_recovery()"); code != 0 || out != "t" {
		t.Fatalf("replica after apply: %q exit %d %s\n%s", out, code, errOut, m.logs())
	}
	t.Logf("FIGURE apply until the replica answers (initdb, seed, start): %v", took.Round(time.Millisecond))
	primaryPID, replicaPID := m.pid("db.postgresql"), m.pid("shm.pg_shm")
	// Both said they were ready on their notification descriptor.
	for svc, pid := range map[string]int{"db.postgresql": primaryPID, "shm.pg_shm": replicaPID} {
		if out, _, _ := m.try("cat", "/service/"+svc+"/supervise/ready"); out != fmt.Sprintf("ready %d\n", pid) {
			t.Errorf("%s: supervise/ready = %q, want ready %d", svc, out, pid)
		}
	}

	// The replica's data folder is a tmpfs of 160 MiB owned by postgres.
	m.tmpfs("/dev/shm/pg_shm", "163840k")
	if owner := strings.TrimSpace(m.run("stat", "-c", "%U %a", "/dev/shm/pg_shm")); owner != "postgres 700" {
		t.Errorf("/dev/shm/pg_shm: owner and mode %q, want postgres 700", owner)
	}
	if out := strings.TrimSpace(m.run("stat", "-c", "%U", "/var/lib/postgresql/data")); out != "postgres" {
		t.Errorf("primary's data folder owned by %q", out)
	}

	// A row written on the primary is readable on the replica within seconds.
	if _, errOut, code := m.psql(5432, "CREATE TABLE t (id int PRIMARY KEY, at timestamptz DEFAULT clock_timestamp()); INSERT INTO t (id) VALUES (1)"); code != 0 {
		t.Fatalf("write on the primary: %s", errOut)
	}
	m.replicaHas(5434, "SELECT count(*) FROM t", "1", 10*time.Second)

	// Replication delay on loopback: a session on the replica polls for
	// the row every 0.5 ms and says how long after its insert on the
	// primary (the row's own clock_timestamp(), the same clock) it saw it.
	// The walsender's own measure is replay_lag.
	var delays []time.Duration
	var lags []string
	const rounds = 10
	for i := 2; i < 2+rounds; i++ {
		watch := testenv.Start(t, m.command("chpst", "-u", "postgres", "psql", "-X", "-A", "-t", "-q",
			"-h", "/run/postgresql", "-p", "5434", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c",
			fmt.Sprintf("DO $$ BEGIN LOOP PERFORM 1 FROM t WHERE id = %d; EXIT WHEN FOUND; PERFORM pg_sleep(0.0005); END LOOP; "+
				"RAISE NOTICE 'seen %%', (SELECT extract(epoch FROM clock_timestamp() - at) FROM t WHERE id = %d); END $$", i, i)))
		m.eventually(10*time.Second, func() string {
			if out, _, _ := m.psql(5434, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'DO %'"); out != "1" {
				return "the replica's watching session has not started: " + out
			}
			return ""
		})
		m.psql(5432, fmt.Sprintf("INSERT INTO t (id) VALUES (%d)", i))
		if code := watch.Wait(t, 10*time.Second); code != 0 {
			t.Fatalf("watching session: exit %d %s", code, watch.Stderr)
		}
		var sec float64
		if _, err := fmt.Sscanf(watch.Stderr.String()[strings.Index(watch.Stderr.String(), "seen ")+5:], "%g", &sec); err != nil {
			t.Fatalf("watching session: %q: %v", watch.Stderr, err)
		}
		delays = append(delays, time.Duration(sec*float64(time.Second)))
		// replay_lag is null once the standby has been idle a while: ask
		// right after a row.
		if l, _, _ := m.psql(5432, "SELECT replay_lag FROM pg_stat_replication"); l != "" {
			lags = append(lags, l)
		}
	}
	sort.Slice(delays, func(a, b int) bool { return delays[a] < delays[b] })
	t.Logf("FIGURE replication delay on loopback, insert on the primary to visible on the replica, %d rows: min %v, median %v, max %v; replay_lag %v",
		rounds, delays[0].Round(10*time.Microsecond), delays[rounds/2].Round(10*time.Microsecond), delays[rounds-1].Round(10*time.Microsecond), lags)

	// The replica refuses writes.
	if _, errOut, code := m.psql(5434, "INSERT INTO t (id) VALUES (100)"); code == 0 || !strings.Contains(errOut, "read-only transaction") {
		t.Errorf("write on the replica: exit %d %q, want a read-only error", code, errOut)
	}

	// kill -9 of the replica's postmaster: runsv starts it again, with the data.
	pm := m.postmaster("/dev/shm/pg_shm/data")
	if pm != replicaPID {
		t.Errorf("postmaster.pid says %d, sv says %d", pm, replicaPID)
	}
	seeds := strings.Count(m.log("shm.pg_shm"), "pg_shm: seeding")
	m.run("kill", "-9", strconv.Itoa(pm))
	m.eventually(30*time.Second, func() string {
		if p := m.pid("shm.pg_shm"); p == 0 || p == pm {
			return fmt.Sprintf("replica pid %d after kill -9 of %d", p, pm)
		}
		return ""
	})
	m.replicaHas(5434, "SELECT count(*) FROM t", strconv.Itoa(1+rounds), 30*time.Second)
	if out, _, _ := m.psql(5434, "SELECT pg_is_in_recovery()"); out != "t" {
		t.Errorf("replica after kill -9 is not in recovery: %q", out)
	}
	m.psql(5432, "INSERT INTO t (id) VALUES (200)")
	m.replicaHas(5434, "SELECT count(*) FROM t WHERE id = 200", "1", 15*time.Second)
	if strings.Count(m.log("shm.pg_shm"), "pg_shm: seeding") != seeds {
		t.Errorf("the replica was seeded again after kill -9:\n%s", m.logs())
	}

	// A restart of the primary: the replica follows again, without a new seed.
	replicaPID = m.pid("shm.pg_shm")
	m.run("sv", "-w", "30", "restart", "/service/db.postgresql")
	if p := m.pid("db.postgresql"); p == primaryPID || p == 0 {
		t.Fatalf("primary pid %d after sv restart (was %d)", p, primaryPID)
	}
	primaryPID = m.pid("db.postgresql")
	m.psql(5432, "INSERT INTO t (id) VALUES (300)")
	m.replicaHas(5434, "SELECT count(*) FROM t WHERE id = 300", "1", 30*time.Second)
	if p := m.pid("shm.pg_shm"); p != replicaPID {
		t.Errorf("replica restarted (%d, was %d) when the primary did", p, replicaPID)
	}

	// A port change restarts the replica alone.
	m.apply(pgDescription(5435, "160m"), 120*time.Second)
	if p := m.pid("db.postgresql"); p != primaryPID {
		t.Errorf("primary restarted (%d, was %d) by the replica's port change", p, primaryPID)
	}
	if p := m.pid("shm.pg_shm"); p == replicaPID || p == 0 {
		t.Errorf("replica pid %d after its port change (was %d)", p, replicaPID)
	}
	m.replicaHas(5435, "SELECT count(*) FROM t WHERE id = 300", "1", 30*time.Second)
	if _, _, code := m.psql(5434, "SELECT 1"); code == 0 {
		t.Errorf("something still answers on the old port 5434")
	}

	// A new size: the replica restarts on its tmpfs remounted with it, its
	// data kept, without a new seed.
	seeds = strings.Count(m.log("shm.pg_shm"), "pg_shm: seeding")
	m.apply(pgDescription(5435, "192m"), 120*time.Second)
	m.tmpfs("/dev/shm/pg_shm", "196608k")
	m.replicaHas(5435, "SELECT count(*) FROM t WHERE id = 300", "1", 30*time.Second)
	if strings.Count(m.log("shm.pg_shm"), "pg_shm: seeding") != seeds {
		t.Errorf("the replica was seeded again for a new size:\n%s", m.logs())
	}

	// A reboot empties /dev/shm: with the tmpfs gone, the replica mounts
	// a new one and seeds itself again, with every row.
	m.run("sv", "-w", "60", "down", "/service/shm.pg_shm")
	m.run("umount", "/dev/shm/pg_shm")
	const noReplica = "pg_shm: seeding /dev/shm/pg_shm/data: no replica"
	seeds = strings.Count(m.log("shm.pg_shm"), noReplica)
	m.run("sv", "up", "/service/shm.pg_shm")
	m.replicaHas(5435, "SELECT count(*) FROM t", strconv.Itoa(1+rounds+2), 60*time.Second) // ids 1…11, 200, 300
	if strings.Count(m.log("shm.pg_shm"), noReplica) <= seeds {
		t.Errorf("the replica did not seed itself again after its tmpfs was emptied:\n%s", m.logs())
	}
	m.psql(5432, "INSERT INTO t (id) VALUES (400)")
	m.replicaHas(5435, "SELECT count(*) FROM t WHERE id = 400", "1", 15*time.Second)

	// The primary made anew (its data folder emptied, so initdb runs
	// again): the replica cannot follow another cluster, its watcher
	// stops it, and it seeds itself from the new primary.
	m.run("sv", "-w", "60", "down", "/service/db.postgresql")
	m.run("find", "/var/lib/postgresql/data", "-mindepth", "1", "-delete")
	m.run("sv", "-w", "60", "up", "/service/db.postgresql")
	m.eventually(30*time.Second, func() string {
		if _, errOut, code := m.psql(5432, "CREATE TABLE fresh (id int); INSERT INTO fresh VALUES (7)"); code != 0 {
			return "the new primary: " + errOut
		}
		return ""
	})
	m.replicaHas(5435, "SELECT id FROM fresh", "7", 60*time.Second)
	if !strings.Contains(m.log("shm.pg_shm"), "pg_shm: seeding /dev/shm/pg_shm/data: the primary is another cluster") {
		t.Errorf("the replica did not say why it seeds itself again:\n%s", m.logs())
	}
}
