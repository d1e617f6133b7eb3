#!/bin/sh -e
sleep 3 # give the primary a chance to replay its transactions
. /etc/conf.d/pg_shm
PG_DISK_ROOT=${disk_root}
[ -d "$PGROOT" ] || mkdir -p "$PGROOT"
# Enter backup mode on the primary, copy its data, leave backup mode.
psql -U postgres -p ${primary_port} -c "SELECT pg_start_backup('seed',true)"
rsync --delete -a "$PG_DISK_ROOT/data" "$PGROOT/" --exclude=postmaster.pid
psql -U postgres -p ${primary_port} -c "SELECT pg_stop_backup()"
echo "hot_standby = 'on'" >> "$PGROOT/data/postgresql.conf"
echo "port = $PGPORT" >> "$PGROOT/data/postgresql.conf"
echo "standby_mode = 'on'" >> "$PGROOT/data/recovery.conf"
echo "primary_conninfo = 'host=localhost port=${primary_port} user=postgres'" >> "$PGROOT/data/recovery.conf"
echo "restore_command = 'cp $PG_DISK_ROOT/archive/%f \"%p\"'" >> "$PGROOT/data/recovery.conf"
exec chpst -u postgres /usr/bin/postgres -D "$PGROOT/data" -c config_file="$PGROOT/data/postgresql.conf"
