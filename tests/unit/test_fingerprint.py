from __future__ import annotations

import re

import pytest

from shared.fingerprint import NAMED_KINDS, fingerprint, parameterise, shape
from tests.unit.log_layouts import LAYOUTS


def fp(text: str) -> str:
    """The fingerprint of a message ``text`` of one service."""
    return fingerprint(kind="message", parts=["edge", text])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Timeout after 30 seconds", "Timeout after <num>"),
        ("took 1 hour 2 minutes and 3.5 seconds", "took <num>"),
        ("2 workers of 3 seconds", "<num> workers of <num>"),
        ("user 5f0c1e2a-3b4c-4d5e-8f90-1a2b3c4d5e6f not found", "user <uuid> not found"),
        ("connect to 10.0.3.17:5432 refused", "connect to <ip> refused"),
        ("mail to bob@example.com bounced", "mail to <email> bounced"),
        ("GET https://api.example.com/v1/x?id=3 failed", "<method> <url> failed"),
        ('Started PATCH "/account" for 10.0.0.7', "Started <method> <str> for <ip>"),
        ("GET is not allowed here", "GET is not allowed here"),  # a word, not a request line
        ("TCP_DENIED/403 CONNECT pastebin.com:443 -", "TCP_DENIED/<num> <method> <host> -"),
        (
            "Main process exited, code=killed, status=9/KILL",
            "Main process exited, code=<value>, status=<value>",
        ),
        (
            "[Consumer clientId=consumer-1, groupId=orders] Connection to node 0 failed",
            "<ctx> Connection to node <num> failed",
        ),
        ("[AdminClient clientId=adminclient-1] Node -1 down", "<ctx> Node <num> down"),
        ("E11000 dup key: { _id: ObjectId('66a1'), n: 3 }", "<id> dup key: <doc>"),
        ('payload {"user": "bob", "id": 7} rejected', "payload <doc> rejected"),
        ("retry {attempt} of {max} failed", "retry {<name>} of {<name>} failed"),  # no document
        ("at 2026-11-29T10:15:02.123Z job failed", "at <ts> job failed"),
        ("open /var/lib/app/data.db: no such file", "open <path>: no such file"),
        ("url: /api/v1/quotes?sku=SKU-1&qty=2 (Caused by", "url: <path> (Caused by"),
        ("Not Found: /wp-login.php", "Not Found: <path>"),
        # A path in a home, of one segment or more.
        ("Object ~/data.db missing", "Object <path> missing"),
        ("cannot read ~/.ssh/id_ed25519: denied", "cannot read <path>: denied"),
        ("I/O error on and/or HTTP/1.1 at /", "I/O error on and/or HTTP/<num> at /"),
        ("rhost=dsl-static-59.144.2.1.isp.net user=root", "rhost=<value> user=<value>"),
        ("connect from 201-42-7-9.dsl.example.com.br", "connect from <host>"),
        ("lookup of ab12cd34ef.cable.example failed", "lookup of <host> failed"),
        ("session closed for user cyrus", "session closed for user <value>"),
        (
            "Failed password for invalid user admin from 5.6.7.8",
            "Failed password for invalid user <value> from <ip>",
        ),
        ("check pass; user unknown", "check pass; user unknown"),  # no phrase names a user
        ("Invalid user support from 5.6.7.8", "Invalid user <value> from <ip>"),
        ("Failed password for root from 5.6.7.8", "Failed password for <value> from <ip>"),
        ("Accepted publickey for deploy from ::1", "Accepted publickey for <value> from <ip>"),
        ("std::vector<int> and Foo::Bar", "std::vector<int> and Foo::Bar"),
        ("waiting for lock from 5.6.7.8", "waiting for lock from <ip>"),  # no method names it
        (
            "msgid=<200511091901.jA9J1UvC004306@mail.example.com>, from=<bob@example.com>",
            "msgid=<value>, from=<value>",
        ),
        ("connection from 10.1.2.3 () at noon", "connection from <ip> (<value>) at noon"),
        ("TypeError: run() takes 2 arguments", "TypeError: run() takes <num> arguments"),
        ("from 2001:db8:ff00::91 port 33016", "from <ip> port <num>"),
        ("ActiveRecord::RecordInvalid (Cafe::Bad)", "ActiveRecord::RecordInvalid (Cafe::Bad)"),
        ("user authentication failed", "user authentication failed"),
        # A host's bare name before its port; the channel a login came by.
        ("connect to host nas port 2200: refused", "connect to host <name> port <num>: refused"),
        (
            "user netops logged out from 10.0.0.5 via winbox",
            "user <name> logged out from <ip> via <value>",
        ),
        (
            "admin logged in via Web from 10.0.0.5 using https",
            "admin logged in via <value> from <ip> using https",
        ),
        ("sent via the relay", "sent via the relay"),
        ("KeyError: 'customer_id'", "KeyError: <str>"),
        ("segfault at 0x7ffd3a2b", "segfault at <hex>"),
        ("commit deadbeefcafe1234 missing", "commit <hex> missing"),
        ("  many   spaces  ", "many spaces"),
        (
            "took 212ms, then 1.5s; heap at 87% of 2GiB",
            "took <num>, then <num>; heap at <num> of <num>",
        ),
        ("Couldn't find User with 'id'=42", "Couldn't find User with <str>=<num>"),
        # A syslog header (time, host, program and pid) goes, as a leading kernel time does.
        (
            "Jun  9 08:31:40 db-07 sudo[4411]:   alice : TTY=pts/0 ; USER=root",
            "<value> : TTY=<value> ; USER=<value>",
        ),
        # sudo's command line: who ran it and the command, with its arguments, are values.
        (
            "j.doe : TTY=pts/1 ; PWD=/ ; USER=root ; COMMAND=/usr/bin/tail -n 200 /var/log/x",
            "<value> : TTY=<value> ; PWD=<value> ; USER=<value> ; COMMAND=<value>",
        ),
        ("alice : was here", "alice : was here"),  # no sudo fields after the name
        ("2024-06-12T08:15:07.2+00:00 web-2 kernel: oom-kill:", "oom-kill:"),
        # BusyBox's and OpenWrt's logread write the facility and level before the program.
        (
            "Jun 12 18:40:03 router daemon.err unbound: [11472:0] error: udp connect failed",
            "udp connect failed",
        ),
        ("[ 88213.004571] nf_conntrack: table full", "nf_conntrack: table full"),
        ("x [3877549.392631] y", "x <ts> y"),
        ("1:X 12 Jun 2024 08:25:40.112 # +sdown", "<num>:X <ts> # +sdown"),
        ('at [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.0"', "at [<ts>] <str>"),
        ("since Mon Jun 12 08:31:40 2024 worker lost", "since <ts> worker lost"),
        ("at 2024-06-13 01:00:41.002 CEST [1187] ERROR: x", "at <ts> [<num>] ERROR: x"),
        # A name after the kind of thing it names, where it reads as a name; a word stays.
        (
            "Back-off restarting failed container istio-proxy in pod shop-7d9f_prod(ab12)",
            "Back-off restarting failed container <name> in pod <name>(<id>)",
        ),
        (
            "ORA-01654: unable to extend index SHOP.ORDER_ITEMS_PK by 64 in tablespace USERS",
            "<id>: unable to extend index <name> by <num> in tablespace <name>",
        ),
        ("E11000 error collection: shop.users index", "<id> error collection: <name> index"),
        ("Server web_back/web-01 is DOWN", "Server <name> is DOWN"),
        ("Server listening on port 80", "Server listening on port <num>"),
        # What a logger writes before a message goes, part by part.
        ("2024-06-13 01:00:41.002 CEST [1187] ERROR: x failed", "x failed"),
        ("14:41:09.002 [debug] ** (Phoenix.Router.NoRouteError) x", "** (<name>) x"),
        ("dnsmasq[1]: cached a.example.com is 10.0.0.3", "cached <host> is <ip>"),
        (
            "2024-06-12 08:15:02.118  WARN 1 --- [nio-8080-exec-4] c.z.h.pool.PoolBase : "
            "HikariPool-1 - Failed to validate connection",
            "Failed to validate connection",
        ),
        (
            "2024-06-13 01:40:17,552 WARN  [consumer-2] com.zaxxer.hikari.pool.PoolBase - "
            "orders-pool - Failed to validate connection",
            "Failed to validate connection",
        ),
        ("[23811] ! Terminating timed out worker: 24102", "! Terminating timed out worker: <num>"),
        ("Error: connect ECONNREFUSED 10.0.0.1:6379", "Error: connect ECONNREFUSED <ip>"),
        (
            "[2024-06-12T08:15:02,118][WARN ][o.o.c.r.a.DiskThresholdMonitor] [os-node-a] "
            "flood stage disk watermark exceeded",
            "flood stage disk watermark exceeded",
        ),
        (
            "iscsid: Kernel reported iSCSI connection 1:0 error",
            "Kernel reported iSCSI connection <num>:<num> error",
        ),
        ("> Could not resolve all files", "Could not resolve all files"),
        ("failed: disk full", "failed: disk full"),  # a word, no daemon
        # Free text of well-known programs: a browser SDK's keys, Firefox's expression, pip's
        # requirement and versions, Maven's help link, a Windows service's name; a base64 id.
        (
            "Object captured as promise rejection with keys: code, details, message",
            "Object captured as promise rejection with keys: <value>",
        ),
        (
            'TypeError: can\'t access property "id", this.state.rows is undefined',
            "TypeError: can't access property <str>, <value> is undefined",
        ),
        (
            "Could not find a version that satisfies the requirement torch==2.1.0+cu118 "
            "(from versions: none)",
            "Could not find a version that satisfies the requirement <value> "
            "(from versions: <value>)",
        ),
        ("Compilation failure -> [Help 1]", "Compilation failure"),
        (
            "The SQL Server (MSSQLSERVER) service entered the running state.",
            "The <name> service entered the running state.",
        ),
        ("The service entered the running state.", "The service entered the running state."),
        ("HostID: 2xdA8PuEtHg+5M0v1jHXqA9b7aYx=, api error", "HostID: <id>, api error"),
        ("Loading chunk src_pages_Reports_tsx failed.", "Loading chunk <name> failed."),
        (
            "06-12 09:41:27.088 21877 21954 E AndroidRuntime: FATAL EXCEPTION: main",
            "FATAL EXCEPTION: <value>",
        ),
        ("E/AndroidRuntime( 3187): FATAL EXCEPTION: pool-4-thread-1", "FATAL EXCEPTION: <value>"),
        (
            "2024-06-13 14:02:55.731 15764-16523/com.acme.wallet E/ReactNativeJS: x failed",
            "x failed",
        ),
        ("2024-06-13 10:34:30.730924+0800 Rides[30968:492764] Task failed", "Task failed"),
        ("2023/12/03 02:14:09 WARN  Failed to poll for task.", "Failed to poll for task."),
        ("3112: 007199: Jun 10 22:35:44: %LINK-3-UPDOWN: Interface up", "%<id>: Interface up"),
        ("*Mar  1 00:03:15.902 UTC: %LINK-3-UPDOWN: Interface up", "%<id>: Interface up"),
        (
            "2024-06-11 08:31:40,512 WARN : org.graylog2.x.KafkaJournal - Journal full",
            "Journal full",
        ),
        (
            "2024-07-08 23:48:12,330 fail2ban.actions        [745]: NOTICE  [sshd] Unban x",
            "Unban x",
        ),
        (
            "[2024-06-11 08:44:03,118] INFO x failed (org.apache.kafka.streams.KafkaStreams)",
            "x failed",
        ),
        ("2024-06-11 10:55:02,318 [14] ERROR Hangfire.AutoRetry [(null)] - Failed", "Failed"),
        ("[16:40:08 ERR] Failed to process", "Failed to process"),
        ("2024-06-12 08:15:02,118 - distributed.core - INFO - Event loop", "Event loop"),
        (
            "Jun 11 22:45:03 04[IKE] <site-b|7> received AUTHENTICATION_FAILED",
            "received AUTHENTICATION_FAILED",
        ),
        (
            "[rank3]: torch.OutOfMemoryError: CUDA out of memory.",
            "torch.OutOfMemoryError: CUDA out of memory.",
        ),
        ("ERROR: relation x does not exist", "relation x does not exist"),
        ("FATAL ERROR in native method", "FATAL ERROR in native method"),  # no level: words
        (
            "ReferenceError: Property 'x' doesn't exist, js engine: hermes",
            "ReferenceError: Property <str> doesn't exist",
        ),
        (
            "warn: Microsoft.AspNetCore.Server.Kestrel[22] As of now the heartbeat is slow",
            "As of now the heartbeat is slow",
        ),
        (
            "[Nest] 1234  - 06/12/2024, 10:15:02 AM   ERROR [ExceptionHandler] Nest can't resolve",
            "Nest can't resolve",
        ),
        (
            "[Nest] 9021  - 18.06.2024, 14:20:55   ERROR [ExceptionHandler] Nest can't resolve",
            "Nest can't resolve",
        ),
        (
            "Jun 12 10:02:03 mbp com.apple.xpc.launchd[1] (com.apple.Safari[812]): Service exited",
            "Service exited",
        ),
        ("fatal: [web-01]: FAILED! => x", "fatal: [<host>]: FAILED! => x"),
        ("Unsupported Media Type: application/octet-stream", "Unsupported Media Type: <value>"),
        (
            "UNIQUE constraint failed: playlist_tracks.playlist_id, playlist_tracks.track_id",
            "UNIQUE constraint failed: <name>",
        ),
        ("and/or I/O text/plain", "and/or I/O <value>"),
        (
            "W0612 08:15:02.118123       1 reconciler.go:356] Multi-Attach error",
            "Multi-Attach error",
        ),
        ("2024-06-12 08:15:02.118:WARN :oejs.AbstractConnector:main: Started x", "Started x"),
        ("12m   Normal   ScalingReplicaSet   deployment/web   Scaled up x", "Scaled up x"),
        ("2m31s   Warning   BackoffLimitExceeded   job/db-v142   Job failed", "Job failed"),
        ("2024-06-11 03:14:52.118+00:00 [warning] <0.262.0> alarm cleared", "alarm cleared"),
        ("2025-01-20 17:42:19.310: sr_check_worker pid 918: LOG:  failed", "failed"),
        ("2023-03-02 11:21:15: pid 30127: LOG:  failed", "failed"),
        ("2024-06-12T08:15:06.389297Z\tinfo\tads\tLDS: PUSH x", "LDS: PUSH x"),
        ("2024-06-12T08:15:06.389Z\tERROR\tstarting server", "starting server"),
        ("2024-06-12T08:31:41.266Z [ERROR] agent.anti_entropy: sync failed", "sync failed"),
        ("2023-10-08T21:25:47.330+0200 [INFO]  agent.server.serf.lan: serf: x", "serf: x"),
        ('[2024-06-14T03:17:30.772+02:00] app.ERROR: x failed {"a":1} []', "x failed"),
        (
            "E, [2024-06-14T22:47:03.118520 #41] ERROR -- : Errno::ECONNREFUSED",
            "Errno::ECONNREFUSED",
        ),
        (
            "2024-06-12 08:15:12.009 | ERROR    | web.handlers:receive:57 - bad payload",
            "bad payload",
        ),
        ("2024-06-13T11:20:03Z ERROR request{method=GET}: cart_svc::store: x failed", "x failed"),
        ("start a job: Mon, 12 Jun 2024 08:15:00 +0000", "start a job: <ts>"),
        # The text of a structured line's message and error stays; its other pairs go, as a
        # JSON line's fields do.
        (
            'level=warn msg="Error on ingesting out-of-order samples" num_dropped=3',
            "Error on ingesting out-of-order samples",
        ),
        # As in a JSON line: the message as it is, the error after " | ", quotes it escaped as
        # written (a quoted name inside reads as a quoted value).
        (
            'level=error msg="failed to sync" err="update of \\"orders\\" failed: conflict"',
            "failed to sync | update of <str> failed: conflict",
        ),
        # hclog writes its pairs after the message and a colon: its error reads as a JSON
        # line's, after " | " ('{"@message":"failed to sync","error":"No cluster leader"}').
        ('failed to sync: error="No cluster leader"', "failed to sync | No cluster leader"),
        ('failed: msg="retry later"', "failed: retry later"),
        # Under every key a JSON line's message and error are read under.
        (
            'level=error exception="unable to reach db-7: connection refused"',
            "level=<value> | unable to reach <id>: connection refused",
        ),
        ('short_message="Disk quota exceeded"', "Disk quota exceeded"),
        ('reason="quota exceeded for \\"cpu\\""', "reason: quota exceeded for <str>"),
        ("type=LOGIN_ERROR, error=user_not_found", "type=<value>, error=user_not_found"),
        # A run of three pairs or more is one context, whichever fields it carries; a pair
        # whose value stays ends it; two pairs are two values.
        (
            "[UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:01:02:03 SRC=10.0.0.1 DF PROTO=TCP SYN URGP=0",
            "[UFW BLOCK] <ctx>",
        ),
        ("[UFW BLOCK] IN=eth0 OUT= SRC=10.0.0.1 PROTO=UDP", "[UFW BLOCK] <ctx>"),
        (
            "type=LOGIN_ERROR, realmId=a, clientId=b, error=user_not_found, a=1, b=2, c=3",
            "<ctx> error=user_not_found, <ctx>",
        ),
        ("exited, code=exited, status=1/FAILURE", "exited, code=<value>, status=<value>"),
        # Pairs written "key = value", two or more on a line; one such pair alone stays.
        (
            "Job Queued at request of lwang@login1, owner = lwang@login1, job name = param_sweep,"
            " queue = long",
            "Job Queued at request of lwang@<id>, owner = <value>, job name = <value>,"
            " queue = <value>",
        ),
        ("cannot assign: x = y", "cannot assign: x = y"),
        # A list of words in brackets: its first word stays, the rest is one value.
        (
            "Server changed state: db-2[10.0.0.7:3306]: slave_down. [Slave, Synced, Running]",
            "Server changed state: <id>[<ip>]: slave_down. [Slave, <value>]",
        ),
        ("Permission denied (publickey,password).", "Permission denied (publickey,<value>)."),
        ("Permission denied (publickey).", "Permission denied (publickey)."),
        # Pairs written "key: value" with commas between, two or more on a line; not a status,
        # a code, a state, an error or a reason, and not one such pair alone.
        (
            "WebAPI login failure. Reason: IP has been banned, IP: 10.0.0.5, username: radarr",
            "WebAPI login failure. Reason: IP has been banned, IP: <ip>, username: <value>",
        ),
        (
            "upstream timed out, client: 10.0.0.9, server: kong, request: x",
            "upstream timed out, client: <ip>, server: <value>, request: <value>",
        ),
        (
            "call failed, code: Unavailable, retry: 3",
            "call failed, code: Unavailable, retry: <value>",
        ),
        ("no such table: orders", "no such table: <name>"),
        ("login failed: admin", "login failed: admin"),
        # A pair's value in square brackets, words and all.
        ("released, cid=[no info], tid=0x77d0e1b2:", "released, cid=<value>, tid=<value>:"),
        # A name alone in brackets, where it reads as the code's own; an error's name stays.
        ("(haproxy_vip) Entering MASTER STATE", "(<name>) Entering MASTER STATE"),
        (
            "<= mdb_substring_candidates: (displayName) not indexed",
            "<= mdb_substring_candidates: (<name>) not indexed",
        ),
        ("error 13 (EACCES) (AccessDenied)", "error <num> (EACCES) (AccessDenied)"),
        # Whether a core was dumped is the same problem.
        (
            "child 7 exited on signal 11 (SIGSEGV - core dumped)",
            "child <num> exited on signal <num> (SIGSEGV)",
        ),
        ("[pool www] child 7 exited", "[pool <name>] child <num> exited"),
        # A plain word after a kind, where what follows shows it is a name; not a word of a
        # phrase, nor a verb's form, nor a word at the end of the line.
        (
            "Back-off restarting failed container worker in pod api-7",
            "Back-off restarting failed container <name> in pod <name>",
        ),
        ("Container api was using 1843Mi", "Container <name> was using <num>"),
        ("+sdown master mymaster 10.0.0.4 6379", "+sdown master <name> <ip> <num>"),
        ("duplicate key error collection", "duplicate key error collection"),
        ("container exited with code 1", "container exited with code <num>"),
        ("usbcore: registered new driver usbfs", "usbcore: registered new driver usbfs"),
        # A name in brackets after a kind, and a name starting with an underscore.
        ("constraint [uk_users_email]; nested", "constraint [<name>]; nested"),
        ("constraint [null]; nested", "constraint [<name>]; nested"),
        ("index: _id_ dup key", "index: <name> dup key"),
        # A daemon's dotted name with a dash; a dotted name of a class stays.
        ("mon.ceph-mon-b [WRN] slow ops", "<name> [WRN] slow ops"),
        ("at java.lang.Thread.run", "at java.lang.Thread.run"),
        # Free text of well-known programs: cron's user and command, Rails' validation reasons,
        # nginx's referrer, sshd's key type, and the JSON value and Go type json names.
        (
            "(www-data) CMD (php /var/www/artisan schedule:run >> /dev/null 2>&1)",
            "(<value>) CMD (<value>)",
        ),
        (
            "ActiveRecord::RecordInvalid (Validation failed: Name can't be blank, Email is bad):",
            "ActiveRecord::RecordInvalid (Validation failed: <value>):",
        ),
        (
            'upstream timed out, host: "shop", referrer: "https://shop.example.com/cart"',
            "upstream timed out, host: <str>",
        ),
        (
            "Accepted publickey for deploy from 10.0.0.2 port 5022 ssh2: ED25519 SHA256:x1",
            "Accepted publickey for <value> from <ip> port <num> <id>: <value> <id>:<id>",
        ),
        (
            "json: cannot unmarshal number 1.5 into Go struct field Item.qty of type int",
            "json: cannot unmarshal <value> into Go struct field <name> of type <name>",
        ),
        (
            "json: cannot unmarshal object into Go value of type []string",
            "json: cannot unmarshal <value> into Go value of type <name>",
        ),
        ("index out of range [5]", "index out of range [<num>]"),
        ("The node was low on resource: memory.", "The node was low on resource: memory."),
        # A block device where a disk is named.
        ("I/O error, dev sda, sector 12345", "I/O error, dev <dev>, sector <num>"),
        ("I/O error, dev nvme1n1p2, sector 9", "I/O error, dev <dev>, sector <num>"),
        ("sdk sda failed", "sdk sda failed"),  # no disk named
        # A relative path of three segments and more; not words with a slash between them.
        (
            "resource [org/springframework/boot/autoconfigure/jdbc/DataSourceConfig.class]",
            "resource [<path>]",
        ),
        ("Failed to pull image ghcr.io/acme/shop-api", "Failed to pull image <host><path>"),
        ("see lib/python3/site/x.py", "see <path>"),
        ("I/O error on seq/ack/win and/or flags", "I/O error on seq/ack/win and/or flags"),
        # The name of a process after its id.
        (
            "Out of memory: Killed process 9912 (node) total-vm:2201344kB",
            "Out of memory: Killed process <num> (<name>) total-vm:<num>",
        ),
        ("error 13 (EACCES)", "error <num> (EACCES)"),  # an error's name stays
        # A MAC address is one value (its first pairs are no time); so are a name in backticks,
        # in typographic quotes, and an Amazon resource name.
        ("DHCPACK on 10.0.0.5 to 52:54:00:ab:cd:ef via br0", "DHCPACK on <ip> to <mac> via <id>"),
        ("link 00-1A-2B-3C-4D-5E down at 12:30:45", "link <mac> down at <ts>"),
        ("Unknown column `total` in 'field list'", "Unknown column <str> in <str>"),
        # A plain word after a kind and a colon ends the line: a name. CouchDB names the method
        # of a request after "request".
        ("OperationalError: no such table: orders", "OperationalError: no such table: <name>"),
        ("registered new driver usbfs", "registered new driver usbfs"),
        (
            'Replicator, request PUT to "http://db:5984/x" failed',
            "Replicator, request <method> to <str> failed",
        ),
        # A one-line java.util.logging record: the class and the method before the message.
        (
            "2024-06-12 08:15:11 SEVERE com.acme.billing.InvoiceImporter importRow Skipping row 18",
            "Skipping row <num>",
        ),
        # A URL in backticks ends before the closing one (Guzzle's "Client error: `POST …`").
        (
            "Client error: `POST https://api.example.com/v1/x` resulted in a `409 Conflict`",
            "Client error: <str> resulted in a <str>",
        ),
        (
            "NoMethodError (undefined method `name' for nil:NilClass)",
            "NoMethodError (undefined method <str> for nil:NilClass)",
        ),
        ("expected \u201cfoo\u201d got \u2018bar\u2019", "expected <str> got <str>"),
        (
            "AccessDenied for arn:aws:iam::123456789012:role/deploy-bot on bucket",
            "AccessDenied for <id> on bucket",
        ),
        # The method of a request a phrase names, and the operation an AWS SDK call names; a
        # method that is no request's stays, and so does an operation no call names.
        (
            'I/O error on DELETE request for "http://orders/api": Connection refused',
            "I/O error on <method> request for <str>: Connection refused",
        ),
        ("GET requests are cached", "GET requests are cached"),
        (
            "An error occurred (AccessDenied) when calling the PutObject operation: Access Denied",
            "An error occurred (AccessDenied) when calling the <name> operation: Access Denied",
        ),
        ("the Backup operation failed", "the Backup operation failed"),
        # The identifier a JavaScript TypeError or ReferenceError names; Python's quoted name
        # is a string, and a word after no error's name stays.
        (
            "ReferenceError: moment is not defined (line 3, col 5)",
            "ReferenceError: <name> is not defined (line <num>, col <num>)",
        ),
        ("TypeError: fetchOrders is not a function", "TypeError: <name> is not a function"),
        ("TypeError: rows is not iterable", "TypeError: <name> is not iterable"),
        ("NameError: name 'rows' is not defined", "NameError: name <str> is not defined"),
        ("the feature flag is not defined", "the feature flag is not defined"),
        # The record type a DNS query asks for after the name; "IN" in words stays.
        ("query: api.example.com IN AAAA +E(0)", "query: <host> IN <value> +E(<num>)"),
        (
            "failed to exchange ;www.example.org. IN A in 5s: i/o timeout",
            "failed to exchange ;www.example.org. IN <value> in <num>: i/o timeout",
        ),
        ("LOGGED IN A second time", "LOGGED IN A second time"),
        # A time on a twelve-hour clock; zerolog's console level after it goes with it.
        ("backup ran at 8:15:02 AM today", "backup ran at <ts> today"),
        ("3:04PM WRN disk almost full on /data", "disk almost full on <path>"),
        ("INF records are synced", "INF records are synced"),
        # The user a login was for, before where it came from; the host curl could not
        # connect to, before its port; the user a process runs as, before its ids.
        (
            "Failed authentication attempt for admin from 10.0.0.7:41822: user does not exist",
            "Failed authentication attempt for <name> from <ip>: user does not exist",
        ),
        ("login for bob from 10.0.0.7 failed", "login for <name> from <ip> failed"),
        (
            "Failed to connect to victoria port 8428 after 0 ms: Couldn't connect to server",
            "Failed to connect to <host> port <num> after <num> ms: Couldn't connect to server",
        ),
        (
            "repository is already locked by PID 4242 on nas by root (UID 0, GID 0)",
            "repository is already locked by PID <num> on nas by <name> (UID <num>, GID <num>)",
        ),
        ("session opened by alice (uid=1000)", "session opened by <name> (uid=<value>)"),
        # The host a name lookup asks for; a lookup that asks no resolver stays.
        (
            "dial tcp: lookup redis on 10.96.0.10:53: no such host",
            "dial tcp: lookup <host> on <ip>: no such host",
        ),
        ("lookup orders-db: i/o timeout", "lookup <host>: i/o timeout"),
        ("lookup table on disk", "lookup table on disk"),
        # The user of an access-log line in the common log format, present or not.
        (
            '203.0.113.7 - alice [10/Oct/2023:13:55:36 +0000] "GET /a HTTP/1.1" 502 157',
            "<ip> - <value> [<ts>] <str> <num> <num>",
        ),
        (
            '203.0.113.7 - - [10/Oct/2023:13:55:36 +0000] "GET /a HTTP/1.1" 502 157',
            "<ip> - <value> [<ts>] <str> <num> <num>",
        ),
        # gRPC's context nests brackets: one value.
        (
            "deadline exceeded after 1.9s. [closed=[], open=[[buffered_nanos=12, remote_addr=a]]]",
            "deadline exceeded after <num>. <ctx>",
        ),
        # A status's reason phrase restates its code; in capitals too; not a word after it.
        ("backend healthy HTTP/1.1 204 No Content", "backend healthy HTTP/<num> <num>"),
        ('"GET /a HTTP/1.1" 503 Service Unavailable', "<str> <num>"),
        ("HTTP/1.0 404 NOT FOUND", "HTTP/<num> <num>"),
        ("got 200 OK from upstream", "got <num> from upstream"),
        ("returned 200 OKAY", "returned <num> OKAY"),
        ("saw 1204 Created", "saw <num> Created"),
        # A URL ends before the punctuation after it and a bracket it did not open.
        (
            "Cluster Node [akka://Shop@172.31.8.140:25520] - Marking node as REACHABLE",
            "Cluster Node [<url>] - Marking node as REACHABLE",
        ),
        ("see https://x.io/a_(b) now, or (https://x.io/c).", "see <url> now, or (<url>)."),
        # An exception's class keeps its name when its package or its name holds a digit.
        (
            "com.ibm.db2.jcc.am.SqlSyntaxErrorException: DB2 SQL Error: SQLCODE=-204",
            "com.ibm.db2.jcc.am.SqlSyntaxErrorException: <id> SQL Error: SQLCODE=<value>",
        ),
        (
            "io.netty.handler.codec.http2.Http2Exception: Stream 3 does not exist",
            "io.netty.handler.codec.http2.Http2Exception: Stream <num> does not exist",
        ),
        ("org.apache.log4j.Logger started", "<id> started"),
        # Python's reprs of text and bytes are quoted values.
        ("as x (p2, u'oekofen').", "as x (<id>, <str>)."),
        ("got b'\\x00ab' back", "got <str> back"),
        # kubectl's event columns name an object (kind/name); a level and two words do not.
        (
            "08:02:11.907364518: Warning Sensitive file opened for reading",
            "Warning Sensitive file opened for reading",
        ),
        # A data type's name after "type" is a value; another word after "type" is not.
        (
            'field type conflict: input field "usage" on measurement "cpu" is type float,'
            " already exists as type integer",
            "field type conflict: input field <str> on measurement <str> is type <name>,"
            " already exists as type <name>",
        ),
        (
            "Cast to ObjectId failed (type String) at path",
            "Cast to ObjectId failed (type <name>) at path",
        ),
        ("type mismatch in column", "type mismatch in column"),
        # An exception quoted as its repr keeps its class (urllib3's).
        (
            "Retrying (Retry(total=2)) after connection broken by 'NewConnectionError(\"x: "
            "Failed to establish a new connection: [Errno 111] Connection refused\")': /predict",
            "Retrying (Retry(total=<value>)) after connection broken by NewConnectionError: <str>:"
            " <path>",
        ),
        # A user's name in brackets after "user" (Pure-FTPd's, and Samba's with what it maps to).
        ("Authentication failed for user [web admin]", "Authentication failed for user <value>"),
        (
            "Authentication for user [bob] -> [bob] FAILED with error NT_STATUS_WRONG_PASSWORD",
            "Authentication for user <value> FAILED with error NT_STATUS_WRONG_PASSWORD",
        ),
        # A path from "./" with a "#" in a name; a name alone in braces.
        ("Copying ./shop/#sql-ib1185-2215.ibd to", "Copying <path> to"),
        ("{user-profiles} nsup-done: expired", "{<name>} nsup-done: expired"),
        ("Passed CLEAN {RelayedInbound}, LOCAL", "Passed CLEAN {<name>}, LOCAL"),
        ("no such key {}, Job{default} ran", "no such key {}, Job{default} ran"),
        # A client's user agent in brackets ending a line; a bracket of words stays.
        (
            "Requested URL: '/auth/token'. (HomeAssistant/Android 2024.3.1-full (Android 14;"
            " Pixel 7))",
            "Requested URL: <str>. (<value>)",
        ),
        ("Requested URL: '/api/'. (python-requests/2.31.0)", "Requested URL: <str>. (<value>)"),
        ("backup failed (disk full)", "backup failed (disk full)"),
        # The service a PAM module works for; the module and the stage stay.
        (
            "pam_sss(sudo:auth): authentication success; user=aperez",
            "pam_sss(<name>:auth): authentication success; user=<value>",
        ),
        ("pam_unix(sshd:session): session opened", "pam_unix(<name>:session): session opened"),
        ("subtype float", "subtype float"),
    ],
)
def test_parameterise_masks_variable_parts(text: str, expected: str) -> None:
    assert parameterise(text) == expected


def test_a_line_has_one_fingerprint_in_the_journal_in_a_file_and_in_dmesg() -> None:
    forms = [
        "Mar 14 03:22:17 db-07 kernel: [1209331.402118] nvme nvme1: I/O 873 QID 22 timeout",
        "2024-03-14T03:22:17.402118+00:00 db-07 kernel: nvme nvme1: I/O 873 QID 22 timeout",
        "[  91.208340] nvme nvme2: I/O 196 QID 7 timeout",
    ]
    assert len({fingerprint(kind="message", parts=["host", line]) for line in forms}) == 1


def test_message_fingerprint_ignores_variable_parts() -> None:
    a = fingerprint(kind="message", parts=["api", "Timeout after 30 seconds on 10.0.0.1"])
    b = fingerprint(kind="message", parts=["api", "Timeout after 31 seconds on 10.0.0.9"])
    c = fingerprint(kind="message", parts=["web", "Timeout after 30 seconds on 10.0.0.1"])
    assert a == b != c


def test_values_of_different_kinds_at_one_place_are_one_problem() -> None:
    seen = [
        "proxy.example.com:5070 open through proxy socks.example.com:1080 HTTPS",
        "10.1.2.3:443 open through proxy socks.example.com:1080 HTTPS",
    ]
    assert len({fingerprint(kind="message", parts=["proxifier", text]) for text in seen}) == 1
    other = "10.1.2.3:443 open through proxy socks.example.com:1080 SOCKS5"
    assert fingerprint(kind="message", parts=["proxifier", other]) != fingerprint(
        kind="message", parts=["proxifier", seen[0]]
    )


def test_a_missing_value_in_brackets_is_the_problem_with_the_value() -> None:
    seen = [
        "connection from 10.1.2.3 () at Sun Jul 10 03:55:15 2005",
        "connection from 10.1.2.9 (host-9.example.net) at Sun Jul 10 03:55:16 2005",
    ]
    assert len({fingerprint(kind="message", parts=["ftpd", text]) for text in seen}) == 1


def test_a_word_built_around_a_value_is_one_value() -> None:
    def same(*texts: str) -> bool:
        return len({fingerprint(kind="message", parts=["s", text]) for text in texts}) == 1

    assert same("synchronized to 10.0.0.1, stratum 2", "synchronized to LOCAL(0), stratum 10")
    assert same(
        "bx.example.asia:5070 open through proxy proxy.example.com:5070 HTTPS",
        "10.1.2.3:443 open through proxy proxy.example.com:5070 HTTPS",
    )
    assert same(
        "accept tcp [::]:8080: accept4: too many open files",
        "accept tcp 10.0.0.1:8080: accept4: too many open files",
    )
    # A key stays a key, and a name glued to a value by a comma or a bar stays a name.
    assert not same("exited, code=1", "exited, status=1")
    assert not same("cancelNotification,index:0", "removeNotification,index:0")
    assert not same("cancel:0|com.example.app|121", "remove:0|com.example.app|121")
    # A type's parameter is no masked value.
    assert not same("cannot convert vector<int> to span", "cannot convert vector<char> to span")


def test_a_problem_with_a_different_name_of_one_kind_is_one_problem() -> None:
    def same(*texts: str) -> bool:
        return len({fingerprint(kind="message", parts=["s", text]) for text in texts}) == 1

    assert same(
        "json: cannot unmarshal number into Go struct field LineItem.quantity of type int",
        "json: cannot unmarshal number into Go struct field Order.total of type int",
    )
    assert same(
        "failed to lazily initialize a collection of role: com.acme.shop.domain.Order.items",
        "failed to lazily initialize a collection of role: com.acme.auth.model.User.roles",
    )
    assert same("blk_update_request: I/O error, dev sda", "blk_update_request: I/O error, dev sdb")
    # The kind stays: a table's name and a column's name are two problems.
    assert not same('relation "orders_v2" does not exist', 'column "orders_v2" does not exist')
    assert not same("container api-2 failed", "pod api-2 failed")


def test_every_named_kind_is_a_word_the_name_mask_can_read() -> None:
    assert all(re.fullmatch(r"[a-z]{2,12}", kind) for kind in NAMED_KINDS)
    assert parameterise("Deployment api-gateway failed") == "Deployment <name> failed"


def test_fingerprint_is_stable_and_namespaced() -> None:
    # Fixed values: a change makes every upgrading user's problems start again, so it is made on
    # purpose and written up (docs/analyzer.md, "Upgrading to ...").
    assert fingerprint(kind="sentry_issue", parts=["4509887"]) == "e34eb2e8ceadf674b33e36eb98eaab90"
    assert fingerprint(kind="message", parts=["api", "Timeout after 30 seconds"]) == (
        "6d1cedd6de7687bfe3a9b27b7d26370a"
    )
    assert fingerprint(kind="sentry_issue", parts=["1"]) != fingerprint(
        kind="alertmanager", parts=["1"]
    )
    assert len(fingerprint(kind="dedup_key", parts=["s", "k"])) == 32
    with pytest.raises(ValueError, match="at least one part"):
        fingerprint(kind="message", parts=[])


@pytest.mark.parametrize(
    ("masked", "expected"),
    [
        # Names masking has no rule for are values: a host, a queue, a module path, a package.
        ("Problem: db-master.prod has been restarted", "Problem: <*> has been restarted"),
        ("Unable to find a match: epel-release", "Unable to find a match: <*>"),
        ("billing_worker::jobs] failed to load <path>", "<*> failed to load <*>"),
        # A run of values is one value, however many it holds.
        ("Started <url> <str> <str> on node", "Started <*> on node"),
        # Words are kept as written, with their punctuation, in any script.
        ("Host isn't reachable (timeout)", "Host isn't reachable (timeout)"),
        ("Ошибка подключения к базе <ip>", "Ошибка подключения к базе <*>"),
        # Constants, exception classes and parameterised types are words.
        (
            "UNIQUE constraint failed (SQLITE_CONSTRAINT_UNIQUE)",
            "UNIQUE constraint failed (SQLITE_CONSTRAINT_UNIQUE)",
        ),
        (
            "sync failed: java.net.UnknownHostException: api.partner.invalid: Name",
            "sync failed: java.net.UnknownHostException: <*> Name",
        ),
        ("cannot convert vector<int> to span", "cannot convert vector<int> to span"),
        # A type in its module is a word; a module path alone is a value.
        (
            "tid=2qa9 Redis::CannotConnectError: Error connecting",
            "<*> Redis::CannotConnectError: Error connecting",
        ),
        ("load cart_svc::store: failed twice", "load <*> failed twice"),
        (
            "a b Illuminate\\Database\\QueryException: 42",
            "a b Illuminate\\Database\\QueryException: <*>",
        ),
        # A dotted name that is no exception class is a value (a launchd job, a logger).
        ("com.apple.CacheDelete.daily: told me to run", "<*> told me to run"),
        # Fewer than three words: the masked text, values and all.
        ("KeyError: <str>", "KeyError: <str>"),
        ("<num> <path> not-found", "<num> <path> not-found"),
    ],
)
def test_a_shape_is_the_words_and_one_value_for_each_run_of_the_rest(
    masked: str, expected: str
) -> None:
    assert shape(masked) == expected


def test_what_masking_has_no_rule_for_does_not_split_a_problem() -> None:
    def same(a: str, b: str) -> bool:
        return fingerprint(kind="message", parts=["svc", a]) == (
            fingerprint(kind="message", parts=["svc", b])
        )

    assert same(
        "Error: Unable to find a match: htop-ng", "Error: Unable to find a match: epel-release"
    )
    assert same(
        "Connection limit 64 cleared for 10.0.0.1:443 v9.4.51 build-77",
        "Connection limit 64 cleared for 10.0.0.1:443",
    )
    assert same(
        "rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:",
        "rcu: INFO: rcu_sched detected stalls on CPUs/tasks:",
    )
    # What the program wrote still tells problems apart.
    assert not same(
        "Partner sync failed: java.net.UnknownHostException: sftp.vendor.example",
        "Partner sync failed: java.net.SocketTimeoutException: sftp.vendor.example",
    )
    assert not same("Job orders-sync failed on node-a", "Job orders-sync succeeded on node-a")


def test_a_value_before_the_first_word_or_after_the_last_does_not_split_a_problem() -> None:
    bare = fp("Failed to interview '0x00158d0001a2b3c4', device has not successfully been paired")
    assert bare == fp(
        "z2m: Failed to interview '0x00158d0009f8e7d6', device has not successfully been paired"
    )
    assert fp("Node attestation was successful") == fp(
        "Node attestation was successful spiffe://example.org/agent/k8s_psat/prod/0b6f"
    )
    # The words still tell problems apart.
    assert bare != fp("z2m: Failed to configure '0x00158d0009f8e7d6', device has not been paired")


def test_a_level_a_message_begins_with_does_not_split_a_problem() -> None:
    # sing-box on OpenWrt (its level and a counter glued) and in a terminal (a zone first).
    assert fp(
        "Sun Sep  7 20:52:49 2025 daemon.info sing-box[17423]: INFO[0001] [1080167389 0ms] "
        "inbound/mixed[mixed-in]: inbound connection from 192.168.1.131:49210"
    ) == fp(
        "+0000 2026-12-07 08:31:22 INFO [609636943 0ms] inbound/mixed[mixed-in]: "
        "inbound connection from 127.0.0.1:60816"
    )
    # lsyncd's level with its colon or its comma, and none.
    failure = (
        "Temporary or permanent failure on startup of /srv/a/ -> b@c:/srv/a/. "
        'Terminating since "insist" is not set.'
    )
    assert fp(f"07:59:42 Error: {failure}") == fp(f"Jun 12 07:59:41 app02 lsyncd: Error, {failure}")
    assert fp(f"07:59:42 Error: {failure}") == fp(failure)
    assert fp("WARN [db-7] connection to primary lost") == fp("connection to primary lost")
    # A logger's or an instance's name alone in brackets, and a message without a value.
    overflow = "OVERFLOW! Rank 0 Skipping step. Attempted loss scale: 65536, reducing to 32768"
    assert fp(
        f"[2024-03-11 09:13:58,042] [INFO] [loss_scaler.py:190:update_scale] {overflow}"
    ) == fp(f"gpu-node-11: [INFO] [loss_scaler.py:190:update_scale] [deepspeed] {overflow}")
    assert fp("(VIP_INGRESS) Entering MASTER STATE") == fp("(VI_51) Entering MASTER STATE")
    assert fp("Error: Temporary or permanent failure") == fp("Temporary or permanent failure")
    # A level before fewer than three words stays; so do words before a level.
    assert fp("ERROR 42 disk full") != fp("disk full")
    assert fp("netdata ERROR : plugin exited early") != fp("plugin exited early")


def test_a_head_before_a_dash_does_not_split_a_problem() -> None:
    # Prefect's named run before its message, and the message alone (its JSON line's "msg").
    finished = "Finished in state Failed('Flow run encountered an exception.')"
    assert fp(f"Flow run 'brave-otter' - {finished}") == fp(finished)
    assert fp(f"Flow run 'quiet-heron' - {finished}") == fp(finished)
    # A user's name and a logger's before the message (logback's "%X{user} %logger - %msg").
    full = "Blob store default is running out of space"
    assert fp(f"admin org.sonatype.nexus.blobstore.file.FileBlobStore - {full}") == fp(full)
    # A head of words alone is the message; a short rest after a dash is detail.
    assert fp("Connection refused - unable to reach the primary") != fp(
        "Connection reset - unable to reach the primary"
    )
    assert fp("Flow run 'brave-otter' - Crashed now") != fp("Crashed now")


def test_a_detail_in_brackets_at_the_end_does_not_split_a_problem() -> None:
    # unbound gives the length of what it sent on some lines; a script its line and column.
    refused = "udp connect failed: Address not available for 10.0.0.53 port 53"
    assert fp(f"{refused} (len 28)") == fp(refused)
    assert fp("ReferenceError: moment is not defined (line 3, col 5)") == fp(
        "ReferenceError: moment is not defined"
    )
    assert fp("reload of the worker pool failed (pid=4242)") == fp(
        "reload of the worker pool failed"
    )
    # A bracket of words names the problem; so does a short message's detail.
    assert fp("reload of the worker pool failed (timeout)") != fp(
        "reload of the worker pool failed (refused)"
    )
    assert fp("worker exited (pid=4242)") != fp("worker exited")


def test_a_long_first_sentence_names_the_problem() -> None:
    certificate = (
        "Microsoft Exchange could not find a certificate that contains the domain name "
        "mail.example.com in the personal store on the local computer. Therefore, it is unable "
        "to support the STARTTLS SMTP verb for the connector {} with a FQDN parameter of "
        "mail.example.com."
    )
    assert fp(certificate.format("Default Frontend EX01")) == fp(
        certificate.format("Relay EX01 Scanners and MFPs")
    )
    # A first sentence of fewer than six words does not; nor does a sentence that differs.
    assert fp("Upload failed. Retrying with backup bucket next.") != fp(
        "Upload failed. Giving up on this file now."
    )
    assert fp("Could not find a certificate for the domain. Retry later.") != fp(
        "Could not find a key for the domain. Retry later."
    )


def test_one_problem_whatever_status_or_data_type_a_message_names() -> None:
    assert fp("probe of app2 Back healthy HTTP/1.1 200 OK") == fp(
        "probe of app7 Back healthy HTTP/1.1 204 No Content"
    )
    assert fp("tensor with shape [8] and type half on GPU") == fp(
        "tensor with shape [4] and type float on GPU"
    )
    assert fp("tensor with shape [8] and type half on GPU") != fp(
        "tensor with shape [8] and kind half on GPU"
    )


def test_an_hclog_line_is_one_problem_with_its_json_line() -> None:
    text = (
        "2024-06-12T08:31:41.266Z [ERROR] agent.anti_entropy: failed to sync remote state: "
        'error="No cluster leader"'
    )
    json_line = (
        '{"@level":"error","@message":"failed to sync remote state",'
        '"@module":"agent.anti_entropy","error":"No cluster leader"}'
    )
    assert fp(text) == fp(json_line)
    assert fp(text) != fp(text.replace("No cluster leader", "Permission denied"))


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # oauth2-proxy's auth log: address, request id and user, time, then the outcome.
        (
            "10.42.1.17:51544 - 8d2f6c1e-4b7a-4f3e-9a21-6c0d5e7b9f12 - jane@example.com "
            "[2024/06/12 08:15:03] [AuthSuccess] Authenticated via OAuth2",
            "Authenticated via <id>",
        ),
        # Hadoop's log4j layouts: the logger's class and a colon, or its last two parts with
        # the file, method and line; an exception's class before a colon is no logger.
        (
            "2016-03-11 14:22:07,418 WARN org.apache.hadoop.yarn.server.nodemanager."
            "containermanager.monitor.ContainersMonitorImpl: Container is running",
            "Container is running",
        ),
        (
            "2018-07-30 02:41:55,063 WARN  monitor.ContainersMonitorImpl "
            "(ContainersMonitorImpl.java:run(589)) - Container is running",
            "Container is running",
        ),
        ("java.io.IOException: Broken pipe", "java.io.IOException: Broken pipe"),
        # Airflow's file and line in braces before a level; Spring Boot 3's application name.
        (
            "[2024-03-05T14:22:09.881+0000] {connectionpool.py:306} WARNING - Pool is full",
            "Pool is full",
        ),
        (
            "2024-06-12T08:16:12.407Z ERROR 1 --- [catalog] [ctor-http-nio-4] "
            "c.e.catalog.api.ErrorHandlers            : Breaker is open",
            "Breaker is open",
        ),
        # Gitea's file, line and function before a level letter (its access log's
        # "HTTPRequest"); krb5kdc's level after its pid; a kernel line without its syslog
        # header.
        (
            "2024/03/22 06:00:05 ...eb/routing/logger.go:68:func1() [W] router: slow for x",
            "router: slow for x",
        ),
        ("2025/05/14 09:41:27 HTTPRequest [W] router: slow for x", "router: slow for x"),
        ("krb5kdc[16017](info): TGS_REQ issued", "TGS_REQ issued"),
        ("Mar 04 09:12:44 kdc01.corp.example.org krb5kdc[1187](info): AS_REQ x", "AS_REQ x"),
        ("kernel: mce: CPU5: Package temperature high", "mce: <id>: Package temperature high"),
        # WebLogic's record, the message in the last angle brackets; Drupal's syslog fields
        # between bars; a PBS server log's fields between semicolons.
        (
            "####<Oct 14, 2023 4:55:30 PM PDT> <Info> <WorkManager> <hyp-02> <Planning0> "
            "<weblogic.timers.TimerThread> <<WLS Kernel>> <> <> <1697327730114> <BEA-002936> "
            "<maximum thread constraint Limited is reached>",
            "maximum thread constraint Limited is reached",
        ),
        (
            "<Jun 3, 2024 9:13:02 AM BST> <Info> <WorkManager> <BEA-002936> <constraint reached>",
            "constraint reached",
        ),
        (
            "Jun 12 08:41:13 web01 drupal: https://www.example.org|1718181673|user|203.0.113.77|"
            "https://www.example.org/user/logout|https://www.example.org/|42||Session closed",
            "Session closed",
        ),
        (
            "06/12/2024 08:15:02;0008;Server@pbs01;Job;21873.pbs01;Job Queued at request",
            "Job Queued at request",
        ),
        # A Windows event as Snare forwards it and as Event Viewer exports it; a syslog
        # header after its priority.
        (
            "<11>Jun 13 11:58:40 MDC-01 MSWinEventLog\t1\tDNS Server\t301776\tThu Jun 13 "
            "11:58:40 2024\t4016\tMicrosoft-Windows-DNS-Server-Service\tSYSTEM\tN/A\tError\t"
            "MDC-01\tNone\t\tThe DNS server timed out.\t301776",
            "The DNS server timed out.",
        ),
        (
            "Warning\t6/12/2024 7:58:44 AM\tMicrosoft-Windows-DHCP-Server\t1020\tNone\t"
            "Scope is full.",
            "Scope is full.",
        ),
        ("<12>Jun 13 08:02:27 DHCP-02 DHCP-Server[2112]: Scope is full.", "Scope is full."),
        # CI's layers: BuildKit's step and time, npm's prefix in both spellings.
        ("#8 6.112 npm error Missing: x from lock file", "Missing: x from lock file"),
        ("npm ERR! Missing: x from lock file", "Missing: x from lock file"),
        # Asterisk's level, thread and source file, and its verbose marker; FreeSWITCH's call
        # id, idle share, level and source line; coturn's counter and thread; Kamailio's
        # process, module, source line and function; icecast's module and function;
        # OctoPrint's terminal prefix; Zigbee2MQTT 1.x's header.
        (
            "[Jun 12 09:02:17] VERBOSE[1402] res_pjsip/pjsip_options.c: Contact x is now down.",
            "Contact x is now down.",
        ),
        ("    -- Contact x is now Unreachable.", "Contact x is now Unreachable."),
        (
            "[Jun 12 08:15:02] WARNING[12345][C-0000002a]: chan_pjsip.c:123 handle_x: Call failed",
            "Call failed",
        ),
        (
            "8e4b7f0a-2c1d-4e55-9a3b-6f0d1c2e3a4b 2024-06-12 08:21:09.331905 97.42% [NOTICE] "
            "sofia.c:1060 Hangup x",
            "Hangup x",
        ),
        (
            "Mar  3 02:41:19 gw asterisk[987]: NOTICE[1044]: res_pjsip/pjsip_distributor.c:673 in "
            "log_failed_request: Request failed",
            "Request failed",
        ),
        (
            "SIP auth challenge (REGISTER) on profile x",
            "SIP auth challenge (<method>) on profile x",
        ),
        ("make: *** [Makefile:42: build/obj/parser.o] Error 1", "*** [<value>] Error <num>"),
        ("make[3]: *** [all] Error 2", "*** [<value>] Error <num>"),
        (
            "make: *** No rule to make target 'x'.  Stop.",
            "*** No rule to make target <str>. Stop.",
        ),
        ("61207: (9): INFO: session x", "session x"),
        ("1185: : session x", "session x"),
        (
            " 2(24105) WARNING: pike [pike_funcs.c:135]: pike_check_ipaddr(): PIKE - BLOCKing ip",
            "PIKE - BLOCKing ip",
        ),
        (
            "[2024-06-12  08:15:02] INFO connection/_handle_source_request Source x refused",
            "Source x refused",
        ),
        ("Recv: !! MCU x shutdown: Timer too close", "MCU x shutdown: Timer too close"),
        ("Zigbee2MQTT:error 2020-09-05 12:20:42: Failed to interview x", "Failed to interview x"),
        # A code in brackets before a message stays the message's ("(1216): Unable to …").
        ("(1216): Unable to connect", "(<num>): Unable to connect"),
        # WebLogic's record cut at its first line; php-fpm's worker prefix and quotes;
        # Apache's pid and client before a PHP message; WordPress's query and its callers.
        (
            "<Nov 9, 2023 2:37:26 AM EST> <Error> <WebLogicServer> <BEA-000337> <[STUCK] "
            "Thread busy. Stack trace:",
            "Thread busy. Stack trace:",
        ),
        (
            '[02-Jan-2025 23:41:09] WARNING: [pool www] child 9174 said into stderr: "NOTICE: '
            'PHP message: WordPress database error"',
            "WordPress database error",
        ),
        ("[pid 1234] [client 10.0.0.1:5678] WordPress database error", "WordPress database error"),
        (
            "Table x doesn't exist for query SELECT * FROM `wp_posts` WHERE id = 3 made by "
            "require('wp-blog-header.php'), wp",
            "Table x doesn't exist for query <value> made by <value>",
        ),
        # Open Liberty's time, thread, logger and level letter, and its AUDIT level; vLLM's
        # process, level, month and day, file and line; BIRD's log class; svlogd's time;
        # Tomcat's class and method before a capitalised message.
        (
            "[3/14/25, 9:42:17:406 UTC] 0000004e com.ibm.ws.security.LoginModule A "
            "Authentication failed",
            "Authentication failed",
        ),
        ("[INFO] [AUDIT   ] Authentication failed", "Authentication failed"),
        (
            "(APIServer pid=1) INFO 08-14 02:31:47 [async_llm.py:273] Added request",
            "Added request",
        ),
        ("INFO 06-19 11:24:58 async_llm_engine.py:553] Added request", "Added request"),
        (
            "2024-11-03 04:17:52.118 <RMT> bgp_rs1: Error: Hold timer expired",
            "<id>: Error: Hold timer expired",
        ),
        (
            "2023-02-14_09:12:07.55310 bird: rs1: Error: Hold timer expired",
            "<id>: Error: Hold timer expired",
        ),
        (
            "12-Jun-2024 08:15:02.118 INFO [main] org.apache.Assembler.startEjbs Created Ejb",
            "Created Ejb",
        ),
        # Android logcat's month and day stay its header's.
        (
            "06-14 13:58:36.902 26610 26655 E flutter : Unhandled Exception: x",
            "Unhandled Exception: x",
        ),
        # A program's tag in lower case before a capitalised message; not a level.
        ("flutter: A RenderFlex overflowed by 12 px", "A RenderFlex overflowed by <num> px"),
        # Django's verbose layout; OpenStack's oslo.log context; MySQL 8's thread, level, code
        # and subsystem; a syslog header after Docker Compose's prefix.
        (
            "INFO 2024-06-12 08:15:02,118 runserver 41 140233861523136 WebSocket CONNECT /ws/",
            "WebSocket <method> <path>",
        ),
        (
            "2024-06-12 08:15:00.737 20156 ERROR neutron.plugins.ml2.managers [None req-3a4b5c6d"
            "-7e8f-4091-a2b3-c4d5e6f7a8b9 admin admin] [instance: 6c5d4e3f-2a1b-4c0d-9e8f-"
            "7a6b5c4d3e2f] Failed to bind port",
            "Failed to bind port",
        ),
        (
            "2024-06-12T02:00:21.004187-00:00 1 [Note] [MY-011825] [Xtrabackup] Copying ./ibdata1",
            "Copying ./<id>",
        ),
        (
            "postfix-1  | Jun 12 08:15:03 mail opendkim[290]: no signing subdomain match for 'a'",
            "no signing subdomain match for <str>",
        ),
        # Serilog's console layout, whatever its level's three capitals.
        ("[08:15:02 WRN] Payment failed", "Payment failed"),
        # A zone with a colon after a space (Serilog's file layout).
        (
            "2024-11-19 22:47:03.118 +00:00 [ERR] Resilience event occurred.",
            "Resilience event occurred.",
        ),
        # Rust's env_logger; Sanic's worker; Airflow's time with a comma after the date.
        ("[2024-06-12T08:15:02Z INFO  my_app::db] connection failed", "connection failed"),
        (
            "Srv 0 2024-06-12 08:15:02 +0000 ERROR: Exception occurred while handling uri: 'x'",
            "Exception occurred while handling uri: <str>",
        ),
        (
            "[2025-01-08, 06:00:12 UTC] {duckdb_refresh.py:88} ERROR - Catalog Error: x",
            "Catalog Error: x",
        ),
        # date(1)'s time in brackets (acme.sh's), and Monit's with the zone first and its
        # level before a colon after spaces.
        (
            "[Tue Oct 15 06:18:25 PM CST 2024] Skipping. Next renewal time is: 2024-12-12",
            "Skipping. Next renewal time is: <id>",
        ),
        (
            "[CEST Jun 12 10:15:02] error    : 'postfix' process is not running",
            "<str> process is not running",
        ),
        # Docker Compose's prefix of a container named without an index; Dramatiq's pid;
        # NiFi's thread and abbreviated logger; radvd's program and pid; certbot's time before
        # Python logging's default layout.
        (
            "uptime-kuma  | 2024-08-21T21:45:00-04:00 [MONITOR] WARN: Monitor #7 is down",
            "Monitor #<num> is down",
        ),
        (
            "[2024-06-12 08:15:02,856] [PID 15713] [Thread-5] [dramatiq.middleware.retries.Retries]"
            " [WARNING] Retries exceeded for message 'a'.",
            "Retries exceeded for message <str>.",
        ),
        (
            "2026-04-20 21:04:37,215 INFO [NiFi Web Server-22] o.a.n.c.s.StandardProcessScheduler"
            " Stopping PutFile",
            "Stopping PutFile",
        ),
        ("[Jun 12 06:03:41] radvd (1275): our AdvValidLifetime on", "our AdvValidLifetime on"),
        (
            "2024-06-12 03:41:31,902:ERROR:certbot._internal.renewal:Failed to renew certificate",
            "Failed to renew certificate",
        ),
        # Python logging's layout with a time written without milliseconds (a "datefmt"), and
        # Flask's default layout.
        (
            "2024-06-12 08:15:02:ERROR:app.db:Failed to connect to database",
            "Failed to connect to database",
        ),
        (
            "[2024-06-12 08:15:02,117] ERROR in app: Exception on /orders [GET]",
            "Exception on <path> [<method>]",
        ),
        # Python logging's "name - level - " and "level name - ", pino-pretty's name, pid and
        # host, PHP's level, Rust's panic, GitHub Actions' annotations.
        ("2024-06-12 08:15:02,123 - root - ERROR - Failed to connect", "Failed to connect"),
        ("2024-06-12 08:15:02 WARNING __main__ - Failed to connect", "Failed to connect"),
        ("[08:15:02.123] ERROR (api/1234 on web-1): Failed to connect", "Failed to connect"),
        (
            "[12-Jun-2024 08:15:02 UTC] PHP Warning:  Undefined variable $x in /a/b.php on line 4",
            "Undefined variable $x in <path> on line <num>",
        ),
        (
            "thread 'main' panicked at src/db.rs:42:5:\nFailed to connect",
            "Failed to connect",
        ),
        ("##[error]Process completed with exit code 1.", "Process completed with exit code <num>."),
        ("::warning file=app.py,line=1::Unused import", "Unused import"),
        # What a runtime writes before an exception it did not catch, and Java's cause; an
        # exception's class after Flask's module is not a name.
        (
            'Exception in thread "main" java.lang.IllegalStateException: Pool exhausted',
            "java.lang.IllegalStateException: Pool exhausted",
        ),
        ("Caused by: java.net.ConnectException: refused", "java.net.ConnectException: refused"),
        ("Unhandled exception. System.TimeoutException: x", "System.TimeoutException: x"),
        ("Uncaught (in promise) TypeError: x is undefined", "TypeError: x is undefined"),
        ("UnhandledPromiseRejectionWarning: Error: socket hang up", "Error: socket hang up"),
        ("Uncaught in the act", "Uncaught in the act"),
        (
            "[2024-06-12 08:15:02,123] ERROR in app: ValueError: invalid literal",
            "ValueError: invalid literal",
        ),
        # A Compose prefix before a logfmt line (it goes with the pairs); Gerrit's thread with
        # spaces before a level; qBittorrent's level letter.
        (
            'navidrome  | time="2024-09-03T06:12:44Z" level=warning msg="API: Invalid login"',
            "Invalid login",
        ),
        (
            "[2024-03-11T10:22:33.481+01:00] [SSH git-upload-pack /platform/manifest (jenkins)]"
            " ERROR com.google.gerrit.sshd.BaseCommand : Internal server error",
            "Internal server error",
        ),
        ("(W) 2024-09-08T17:26:45 - WebAPI login failure.", "WebAPI login failure."),
        # A mail queue's id.
        ("9B1C3F20A7: no signing subdomain match for 'a'", "no signing subdomain match for <str>"),
        # gunicorn's and Sanic's time with its zone after a space; Python logging's level cut to
        # five letters.
        (
            "[2024-06-12 08:15:02 +0000] [7] [ERROR] Worker (pid:12) was sent SIGKILL!",
            "Worker (pid:<num>) was sent SIGKILL!",
        ),
        (
            "2024-06-12 08:15:02,118 WARNI [waitress.queue:113][MainThread] Task queue depth",
            "Task queue depth",
        ),
        ("serf: lower case stays", "serf: lower case stays"),
        ("NVRM: Xid 13, Graphics SM Warp", "Xid <num>, Graphics SM Warp"),
        ("SSL: CERTIFICATE_VERIFY_FAILED", "SSL: CERTIFICATE_VERIFY_FAILED"),
        # A clause that holds a value and comes again at once is written once: a list of
        # clauses as long as what it lists.
        (
            "Process 11 has 3 GiB memory in use. Process 12 has 1 GiB memory in use. Including",
            "Process <num> has <num> memory in use. Including",
        ),
        (
            "Process 11 has 3 GiB memory in use. Including",
            "Process <num> has <num> memory in use. Including",
        ),
        ("again and again and again", "again and again and again"),  # no value
        # A reason quoted in words after its key is its text; an escaped line break a space.
        ("reason: 'entry out of order' for x", "reason: entry out of order for x"),
        ("reason: 'Throttled' for x", "reason: <str> for x"),
        ('failed err="first\\nsecond"', "failed | first second"),
        # A user's name before a verb's past, a bracket or a sentence's end; not a word of a
        # phrase, an action's name, nor pam's "unknown".
        ("user netops logged out from 10.0.0.1", "user <name> logged out from <ip>"),
        (
            "User cvpsystem entered configuration session",
            "User <name> entered configuration session",
        ),
        ("login of user jsmith (uid 1000)", "login of user <name> (uid <num>)"),
        ("user authentication failed", "user authentication failed"),
        ("user not found", "user not found"),
        # The value after a Windows event's field name, as written or flattened; not a field
        # name that follows an empty value.
        (
            "Subject:\tSecurity ID:\t\tSYSTEM Account Name:\t\tDC01$ Account Domain: CORP "
            "Logon ID: 0x3e7 Caller Computer Name: Additional Information: x",
            "Subject: Security ID: <value> Account Name: <value> Account Domain: <value> "
            "Logon ID: <hex> Caller Computer Name: Additional Information: x",
        ),
        # A SIP address with a name before it and parameters after; a package at a version.
        (
            "Contact 1001/sip:1001@192.168.10.41:5062;ob is now Unreachable.",
            "Contact <url> is now Unreachable.",
        ),
        ("Missing: @types/node@20.14.2 from lock file", "Missing: <value> from lock file"),
        ("Missing: yaml@2.4.5 from lock file", "Missing: <value> from lock file"),
        ("mail to ops@example.com failed", "mail to <email> failed"),
        # A day of the week before a date; an IPv6 address in brackets with its port; a PCI
        # address; the host a machine calls itself.
        ("synchronization to Wed 2024-10-03 07:12:40.511207 CEST.", "synchronization to <ts>."),
        ("slow GET for [::1]:60112, elapsed", "slow GET for <ip>, elapsed"),
        ("mlx5_core 0000:af:00.1 enp175s0f1np1: Link down", "<id> <id> <id>: Link down"),
        ("discarding connection: localhost. Size", "discarding connection: <host>. Size"),
        ("connect to localhost:5432 failed", "connect to <host> failed"),
        # Go names a slice's length only when the index is not negative.
        ("index out of range [5] with length 3", "index out of range [<num>]"),
        ("index out of range [-1]", "index out of range [<num>]"),
        ("slice bounds out of range [:12] with capacity 8", "slice bounds out of range [:<num>]"),
        # Docker Compose's service prefix, and pm2's.
        ("web-1  | Error handling request from 10.0.0.14", "Error handling request from <ip>"),
        ("1|email-worker | Error: Missing lock for job 14.", "Error: Missing lock for job <num>."),
        # A container log file's time, stream and tag, then klog's header and its quoted message.
        (
            "2024-06-15T02:03:27.512044871Z stderr F I0615 02:03:27.511902       1 "
            'conntrack.go:121] "Set sysctl" entry="net/netfilter/nf_conntrack_max" value=1',
            "Set sysctl entry=<value> value=<value>",
        ),
        # Python logging's default layout, also after a syslog header and in a Compose prefix.
        ("ERROR:aiohttp.server:Error handling request from 10.0.0.14", None),
        (
            "Feb 02 03:11:45 bot python[822]: ERROR:aiohttp.server:Error handling request from ::2",
            None,
        ),
        ("web-1  | ERROR:aiohttp.server:Error handling request from 192.168.65.1", None),
        # Home Assistant's thread and logger, Tornado's own layout, Telegraf's level and plugin.
        (
            "2025-03-02 11:04:52.318 ERROR (MainThread) [aiohttp.server] Error handling request "
            "from 172.30.32.2",
            None,
        ),
        (
            "[I 240612 08:15:02 http1connection:344] Malformed HTTP message from 10.0.12.7",
            "Malformed HTTP message from <ip>",
        ),
        (
            "2024-09-17T02:44:15Z E! [inputs.prometheus::kube-pods] Error in plugin: error "
            'making HTTP request to "http://10.244.3.87:8080/metrics"',
            "Error in plugin: error making HTTP request to <str>",
        ),
        # Erlang/OTP's logger: a time and a lower-case level; a word and a colon after a time
        # is no host of a syslog header.
        (
            "2024-06-12T08:15:02.134208+00:00 error: Supervisor: {local,db_sup}. Context: "
            "start_error. Reason: econnrefused.",
            "Supervisor: {local,db_sup}. Context: start_error. Reason: econnrefused.",
        ),
        # An RFC 5424 syslog header, and lighttpd's source location after its time.
        (
            '2024-11-03T02:14:51+01:00 fw.home.lan lighttpd 41207 - [meta sequenceId="7"] '
            "(gw_backend.c.274) establishing connection failed: socket: tcp:127.0.0.1:8183",
            "establishing connection failed: socket: tcp:<ip>",
        ),
        (
            "2024-06-12 08:15:02: (gw_backend.c.274) establishing connection failed: socket: "
            "tcp:10.0.0.9:9000",
            "establishing connection failed: socket: tcp:<ip>",
        ),
        # An audit record's header, as the journal writes the record.
        (
            "node=bastion-01 type=SERVICE_START msg=audit(1718263511.090:28841): pid=1 uid=0 "
            "auid=4294967295 msg='unit=nginx res=success'",
            "SERVICE_START <ctx> msg=<str>",
        ),
        (
            "Jun 12 08:15:03 db-02 audit[1]: SERVICE_START pid=1 uid=0 auid=4294967295 "
            "msg='unit=postgresql-15 res=success'",
            "SERVICE_START <ctx> msg=<str>",
        ),
        # zap's console layout: the fields after a tab go, as a JSON line's other fields do.
        (
            '2023/10/11 18:36:32.546\tINFO\ttls.obtain\tacquiring lock\t{"identifier": "a.io"}',
            "acquiring lock",
        ),
        # stern's pod and container before a line of the pod's log.
        (
            "telegraf-7f5c9d8b4-9xw2r telegraf 2024-11-29T19:31:45Z E! [inputs.prometheus] "
            "Error in plugin: x",
            "Error in plugin: <name>",
        ),
        # Mosquitto's time in seconds since the epoch.
        (
            "1718203550: Client DVES_2C19B0 has exceeded timeout, disconnecting.",
            "Client <id> has exceeded timeout, disconnecting.",
        ),
        # SonarQube's process, task and logger; its pairs between bars are one context.
        (
            "2025.06.01 17:02:45 INFO  ce[AZcscQ1x][o.s.c.t.CeWorkerImpl] Executed task |"
            " project=data | type=ISSUE_SYNC | branch=main | status=SUCCESS",
            "Executed task | <ctx>",
        ),
        # Sonarr's and Radarr's NLog layout, and their console's level and logger.
        ("19-8-26 06:50:24.0|Warn|Torznab|Indexer x failed", "Indexer x failed"),
        ("2024-07-22 06:37:01.1|Info|RssSyncService|RSS Sync Completed.", "RSS Sync Completed."),
        ("[Info] RssSyncService: RSS Sync Completed.", "RSS Sync Completed."),
        # Pi-hole FTL's time, pid and thread; a time with a level letter after a hyphen.
        ("[2022-04-21 18:21:35.045 521/T538] Ending rate-limitation", "Ending rate-limitation"),
        ("06:41:09.118-W Connection Failed: rabbitmq://localhost/", "Connection Failed: <url>"),
        # Node-RED's time without a year, its level and its node.
        (
            "nodered-1  | 14 Jan 06:30:00 - [error] [function:Morning routine] ReferenceError: x",
            "ReferenceError: x",
        ),
        # MySQL's older time and a thread (xtrabackup's), a box's left edge (Sanic's).
        ("240612 01:30:07 [01] Copying ./wp/t.ibd to /b/wp/t.ibd", "Copying <path> to <path>"),
        (
            "\u256d Srv 1 2024-11-03 22:07:48 +0000 ERROR: Exception while handling uri: x",
            "Exception while handling uri: x",
        ),
    ],
)
def test_what_a_runner_or_a_logger_writes_before_a_message_goes(
    line: str, expected: str | None
) -> None:
    assert parameterise(line) == (expected or "Error handling request from <ip>")


def test_a_lower_case_level_goes_before_a_message() -> None:
    assert parameterise("error: Cannot find module './x' from '/app/a.ts'") == (
        "Cannot find module <str> from <str>"
    )
    assert parameterise("VBoxManage: error: Could not find a registered machine named 'db'") == (
        "Could not find a registered machine named <str>"
    )
    assert parameterise("info: [example.com.] loaded, serial 7 -> 8, 618 bytes") == (
        "loaded, serial <num> -> <num> bytes"
    )
    # Ansible's "fatal: " is a task's outcome, Node's "Error: " an exception's class.
    assert parameterise("fatal: [web-01]: FAILED! => x") == "fatal: [<host>]: FAILED! => x"
    assert parameterise("Error: Cannot find module 'x'") == "Error: Cannot find module <str>"


def test_a_message_in_words_is_not_a_logger_header() -> None:
    assert parameterise("job 7 | status: ERROR:disk:full") == "job <num> | status: ERROR:disk:full"
    assert parameterise('see main.go:12 "quoted"') == "see main.go:<num> <str>"


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_message_is_one_problem_whatever_common_layout_writes_it(layout: str) -> None:
    message = "Failed to connect to database orders-db after 3 attempts"
    assert fp(layout.format(m=message)) == fp(message)
