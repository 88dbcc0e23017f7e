#!/usr/bin/env bash
# Makes sure what Meterstream's tests need is installed and running on this machine:
# a JDK 17+, Maven, PostgreSQL on 127.0.0.1:5432 (trust auth), MariaDB on 127.0.0.1:3306 (root, no password;
# Kill Bill's reference database) and RabbitMQ on 127.0.0.1:5672 (guest/guest).
# Kafka and ActiveMQ need nothing here: the tests start them in-process from Maven Central jars.
# Safe to run again: it only installs or starts what is missing.
set -euo pipefail

log() { echo "[services] $*"; }
port_open() { (echo > "/dev/tcp/127.0.0.1/$1") >/dev/null 2>&1; }
wait_port() { # $1 port, $2 name, $3 seconds
  local i
  for ((i = 0; i < $3 * 2; i++)); do port_open "$1" && { log "$2 is up on 127.0.0.1:$1"; return 0; }; sleep 0.5; done
  log "$2 did not open 127.0.0.1:$1 within $3 s"; return 1
}
need_root() { [[ $(id -u) == 0 ]] || { log "need root to install $1 (run: sudo $0)"; exit 1; }; }
apt_updated=
apt_install() {
  need_root "$*"
  if [[ -z $apt_updated ]]; then apt-get update -qq >/dev/null; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# --- toolchain -------------------------------------------------------------------------------
if ! command -v javac >/dev/null 2>&1 || [[ $(javac -version 2>&1 | sed -E 's/javac ([0-9]+).*/\1/') -lt 17 ]]; then
  log "installing a JDK 17"; apt_install openjdk-17-jdk-headless
fi
if ! command -v mvn >/dev/null 2>&1; then
  log "installing Maven"; apt_install maven
fi

# --- PostgreSQL ------------------------------------------------------------------------------
if ! port_open 5432; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    log "installing PostgreSQL"; apt_install postgresql
  fi
  ver=$(ls /etc/postgresql | sort -V | tail -1)
  log "starting PostgreSQL $ver"
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  wait_port 5432 PostgreSQL 60
fi
# Tests connect as postgres without a password over TCP; make sure the test database exists.
if ! psql -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
  log "PostgreSQL refuses user postgres without a password on 127.0.0.1: allow trust for local TCP in pg_hba.conf"
  exit 1
fi
psql -h 127.0.0.1 -U postgres -d postgres -Atc "select 1 from pg_database where datname='test'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -d postgres -qc 'create database test'

# --- MariaDB ---------------------------------------------------------------------------------
if ! port_open 3306; then
  if [[ ! -x /usr/sbin/mariadbd ]]; then
    log "installing MariaDB"; apt_install mariadb-server
  fi
  log "starting MariaDB"
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
  wait_port 3306 MariaDB 60
fi
# Tests connect as root without a password over TCP (Debian's default is socket authentication only).
if ! mariadb -h 127.0.0.1 -u root -e 'select 1' >/dev/null 2>&1; then
  log "allowing root without a password on 127.0.0.1 for the tests"
  mariadb -u root -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('');"
  mariadb -u root -e "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY ''; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;"
fi
mariadb -h 127.0.0.1 -u root -e 'CREATE DATABASE IF NOT EXISTS test'

# --- RabbitMQ --------------------------------------------------------------------------------
if ! port_open 5672; then
  if ! command -v rabbitmq-server >/dev/null 2>&1; then
    log "installing RabbitMQ"; apt_install rabbitmq-server
  fi
  log "starting RabbitMQ"
  rabbitmq-server -detached || true
  wait_port 5672 RabbitMQ 90
fi
log "ready: $(java -version 2>&1 | head -1); $(mvn -v 2>/dev/null | head -1)"
