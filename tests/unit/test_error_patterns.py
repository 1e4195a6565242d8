"""The default pattern file, ``config/error_patterns.json``: every pattern against realistic
messages it must match and near misses it must not (many of them texts the seed's over-broad
regexes matched), matched with RE2 exactly as the analyzer matches them."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import re2

from services.analyzer.patterns_file import ErrorPattern, load_patterns, re2_options
from services.analyzer.suggestions import BY_CATEGORY
from shared.events import CORE_CATEGORIES

REPO = Path(__file__).resolve().parents[2]
PATTERNS_PATH = REPO / "config" / "error_patterns.json"

#: Categories the default set must cover, each for all of :data:`LANGUAGES`.
REQUIRED_CATEGORIES = CORE_CATEGORIES
#: Extra categories the default set may use.
EXTRA_CATEGORIES = ("dependency", "capacity")
LANGUAGES = ("python", "jvm", "node", "go")

#: (language or source, message). Languages other than LANGUAGES name where a text comes from.
Example = tuple[str, str]

# pattern id -> (messages it must match, near misses it must not match)
CASES: dict[str, tuple[list[Example], list[str]]] = {
    # ------------------------------------------------------------------ database
    "db_connection_refused": (
        [
            (
                "python",
                "psycopg2.OperationalError: could not connect to server: Connection refused "
                'Is the server running on host "db-primary" (10.0.4.12) and accepting TCP/IP '
                "connections on port 5432?",
            ),
            (
                "python",
                "pymysql.err.OperationalError: (2003, \"Can't connect to MySQL server on "
                "'mysql-0' ([Errno 111] Connection refused)\")",
            ),
            (
                "jvm",
                "org.postgresql.util.PSQLException: Connection to db-primary.internal:5432 "
                "refused. Check that the hostname and port are correct and that the postmaster "
                "is accepting TCP/IP connections.",
            ),
            (
                "jvm",
                "com.mysql.cj.jdbc.exceptions.CommunicationsException: Communications link failure",
            ),
            ("node", "SequelizeConnectionRefusedError: connect ECONNREFUSED 10.0.4.12:5432"),
            ("node", "MongoServerSelectionError: connect ECONNREFUSED 127.0.0.1:27017"),
            ("go", "dial tcp 10.0.4.12:5432: connect: connection refused"),
        ],
        [
            "dial tcp 10.0.7.3:8080: connect: connection refused",
            "db write rejected: payload exceeds 16MB document limit",
            "Connection to api.partner.io:443 refused by egress firewall",
            "database connection pool warmed up: 10 connections",
        ],
    ),
    "db_connection_timeout": (
        [
            (
                "python",
                'psycopg2.OperationalError: connection to server at "10.0.4.12", port 5432 '
                "failed: timeout expired",
            ),
            (
                "jvm",
                "com.mongodb.MongoTimeoutException: Timed out after 30000 ms while waiting to "
                "connect.",
            ),
            ("node", "Error: Connection terminated due to connection timeout"),
            ("node", "MongoServerSelectionError: Server selection timed out after 30000 ms"),
            (
                "go",
                "failed to connect to `host=10.0.4.12 user=app database=orders`: dial error "
                "(timeout: dial tcp 10.0.4.12:5432: i/o timeout)",
            ),
            ("go", "dial tcp 10.0.4.15:3306: i/o timeout"),
        ],
        [
            "feedback form submission timed out for user 1234",
            "dbus-daemon[812]: Failed to activate service 'org.freedesktop.hostname1': "
            "timed out (service_start_timeout=25000ms)",
            "connection to payments-api timed out after 30s",
            "dial tcp 10.0.5.3:443: i/o timeout",
        ],
    ),
    "db_connection_lost": (
        [
            (
                "python",
                "psycopg2.OperationalError: server closed the connection unexpectedly\n\tThis "
                "probably means the server terminated abnormally",
            ),
            ("python", "MySQLdb.OperationalError: (2006, 'MySQL server has gone away')"),
            (
                "jvm",
                "org.hibernate.exception.JDBCConnectionException: Unable to acquire JDBC "
                "Connection",
            ),
            ("jvm", "com.mongodb.MongoSocketReadException: Prematurely reached end of stream"),
            ("node", "Error: Connection terminated unexpectedly"),
            ("go", "pq: terminating connection due to administrator command"),
        ],
        [
            "connection to orders-db closed after 300s idle (pool recycle)",
            "MySQL server version 8.0.36 detected",
            "host name orders-db resolved to 10.0.4.12",
        ],
    ),
    "db_pool_exhausted": (
        [
            (
                "python",
                "sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, "
                "connection timed out, timeout 30.00",
            ),
            (
                "jvm",
                "java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not "
                "available, request timed out after 30000ms.",
            ),
            (
                "node",
                "KnexTimeoutError: Knex: Timeout acquiring a connection. The pool is probably "
                "full. Are you missing a .transacting(trx) call?",
            ),
            ("go", "pq: sorry, too many clients already"),
            ("mysql", "ERROR 1040 (08004): Too many connections"),
            (
                "postgres",
                "FATAL: remaining connection slots are reserved for non-replication superuser "
                "connections",
            ),
        ],
        [
            "HikariPool-1 - Start completed.",
            "QueuePool size set to 20 (overflow 5)",
            "Too many requests from 10.1.2.3, slow down",
            "connection pool resized from 10 to 20 connections",
        ],
    ),
    "db_deadlock": (
        [
            (
                "python",
                "psycopg2.errors.DeadlockDetected: deadlock detected DETAIL: Process 4812 "
                "waits for ShareLock on transaction 99121; blocked by process 4790.",
            ),
            (
                "jvm",
                "org.springframework.dao.DeadlockLoserDataAccessException: "
                "PreparedStatementCallback; SQL [update stock set qty = qty - ? where sku = ?]; "
                "Deadlock found when trying to get lock; try restarting transaction",
            ),
            (
                "node",
                "Error: ER_LOCK_DEADLOCK: Deadlock found when trying to get lock; try restarting "
                "transaction",
            ),
            ("go", "ERROR: deadlock detected (SQLSTATE 40P01)"),
            (
                "mssql",
                "Transaction (Process ID 62) was deadlocked on lock resources with another "
                "process and has been chosen as the deadlock victim. Rerun the transaction.",
            ),
        ],
        [
            "fatal error: all goroutines are asleep - deadlock!",
            "Found one Java-level deadlock:",
            "deadlock_timeout = 1s (postgresql.conf)",
            "lock acquired on key order:8812 after 3 retries",
        ],
    ),
    "db_query_timeout": (
        [
            (
                "python",
                "psycopg2.errors.QueryCanceled: canceling statement due to statement timeout",
            ),
            (
                "jvm",
                "org.springframework.dao.QueryTimeoutException: PreparedStatementCallback; SQL "
                "[select * from orders where customer_id = ?]; Lock wait timeout exceeded; try "
                "restarting transaction",
            ),
            ("node", "MongoServerError: operation exceeded time limit"),
            ("go", "Error 1205 (HY000): Lock wait timeout exceeded; try restarting transaction"),
            (
                "mysql",
                "ERROR 3024 (HY000): Query execution was interrupted, maximum statement "
                "execution time exceeded",
            ),
        ],
        [
            "SET statement_timeout = 5000",
            "innodb_lock_wait_timeout=50 applied",
            "query took 1204 ms (slow query threshold 1000 ms)",
        ],
    ),
    "db_constraint_violation": (
        [
            (
                "python",
                "sqlalchemy.exc.IntegrityError: (psycopg2.errors.UniqueViolation) duplicate key "
                'value violates unique constraint "users_email_key"',
            ),
            (
                "jvm",
                "org.springframework.dao.DataIntegrityViolationException: could not execute "
                "statement; constraint [fk_order_customer]",
            ),
            (
                "node",
                "MongoServerError: E11000 duplicate key error collection: shop.users index: "
                'email_1 dup key: { email: "ana@example.com" }',
            ),
            (
                "go",
                'ERROR: insert or update on table "orders" violates foreign key constraint '
                '"orders_customer_id_fkey" (SQLSTATE 23503)',
            ),
            (
                "mysql",
                "Error 1062 (23000): Duplicate entry 'ana@example.com' for key 'users.email'",
            ),
        ],
        [
            'unique constraint "users_email_key" created',
            "Duplicate message 8812 ignored by consumer",
            "constraint solver finished in 30ms",
        ],
    ),
    "db_schema_mismatch": (
        [
            (
                "python",
                'psycopg2.errors.UndefinedTable: relation "invoice_lines" does not exist '
                "LINE 1: SELECT * FROM invoice_lines WHERE id = 4",
            ),
            ("python", "sqlite3.OperationalError: no such table: django_session"),
            (
                "jvm",
                'org.postgresql.util.PSQLException: ERROR: column "discount_code" does not exist',
            ),
            ("node", "Error: ER_NO_SUCH_TABLE: Table 'shop.coupons' doesn't exist"),
            ("go", 'ERROR: relation "audit_log" does not exist (SQLSTATE 42P01)'),
        ],
        [
            'created relation "audit_log"',
            "Table 'shop.coupons' created",
            'column "discount_code" added to orders',
        ],
    ),
    "redis_connection_error": (
        [
            (
                "python",
                "redis.exceptions.ConnectionError: Error 111 connecting to cache-2:6379. "
                "Connection refused.",
            ),
            (
                "jvm",
                "io.lettuce.core.RedisConnectionException: Unable to connect to "
                "redis-master.cache.svc:6379",
            ),
            (
                "jvm",
                "org.springframework.data.redis.RedisConnectionFailureException: Unable to "
                "connect to Redis",
            ),
            ("node", "[ioredis] Unhandled error event: Error: connect ECONNREFUSED 10.0.2.9:6379"),
            ("go", "redis: connection pool timeout"),
            ("go", "dial tcp 10.0.2.9:6379: connect: connection refused"),
        ],
        [
            "Redistributing connections across 4 shards",
            "Redis: loaded 120000 keys from RDB in 0.8 seconds",
            "redis_version:7.2.4 connected_clients:12",
        ],
    ),
    "elasticsearch_timeout": (
        [
            (
                "python",
                "elasticsearch.exceptions.ConnectionTimeout: ConnectionTimeout caused by - "
                "ReadTimeoutError(HTTPConnectionPool(host='es-data-1', port=9200): Read timed "
                "out. (read timeout=10))",
            ),
            (
                "jvm",
                "org.elasticsearch.ElasticsearchTimeoutException: "
                "java.util.concurrent.TimeoutException: Timeout waiting for task.",
            ),
            (
                "node",
                "elasticsearch request to https://es-data-1:9200/orders/_search timed out after "
                "30000ms",
            ),
        ],
        [
            "Rules engine timeout after 30s",
            "Updates queue timeout set to 30s",
            "Elasticsearch cluster health changed from yellow to green",
        ],
    ),
    "session_store_error": (
        [
            (
                "python",
                "django.contrib.sessions.exceptions.SessionInterrupted: The request's session "
                "was deleted before the request completed.",
            ),
            ("python", "Session data corrupted"),
            ("node", "session store unavailable: connect-redis client is closed"),
            ("jvm", "Failed to save session 7f3e9a: RedisConnectionFailureException"),
        ],
        [
            "Restore of snapshot snap-42 failed with error 5",
            "Cache warmed: 1200 entries, 0 errors",
            "session expired for user 4412, redirecting to /login",
        ],
    ),
    # ------------------------------------------------------------------ network
    "connection_refused": (
        [
            ("python", "ConnectionRefusedError: [Errno 111] Connection refused"),
            (
                "python",
                "requests.exceptions.ConnectionError: HTTPConnectionPool(host='inventory', "
                "port=8080): Max retries exceeded with url: /v1/items (Caused by "
                "NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f1c>: "
                "Failed to establish a new connection: [Errno 111] Connection refused'))",
            ),
            ("jvm", "java.net.ConnectException: Connection refused"),
            ("node", "Error: connect ECONNREFUSED 10.0.3.7:8080"),
            ("go", "dial tcp 10.0.3.7:8080: connect: connection refused"),
        ],
        [
            "Refused to load the script because it violates the Content Security Policy directive",
            "connection refusal rate back to 0.0%",
            "Connection accepted from 10.0.0.4:55210",
        ],
    ),
    "connection_reset": (
        [
            ("python", "ConnectionResetError: [Errno 104] Connection reset by peer"),
            (
                "python",
                "http.client.RemoteDisconnected: Remote end closed connection without response",
            ),
            ("jvm", "java.net.SocketException: Connection reset"),
            ("jvm", "java.io.IOException: Broken pipe"),
            ("node", "Error: socket hang up"),
            ("node", "Error: read ECONNRESET"),
            (
                "go",
                "read tcp 10.0.1.5:43122->10.0.2.8:443: read: connection reset by peer",
            ),
            ("go", "write tcp 10.0.1.5:8080->10.0.9.1:51234: write: broken pipe"),
        ],
        [
            "Resetting connection pool after config reload",
            "password reset link sent to user 4412",
            "pipe /tmp/app.sock opened",
        ],
    ),
    "http_client_connection_error": (
        [
            (
                "python",
                "aiohttp.client_exceptions.ClientConnectorError: Cannot connect to host "
                "catalog.internal:8443 ssl:default [Connect call failed ('10.4.1.9', 8443)]",
            ),
            ("python", "aiohttp.client_exceptions.ServerDisconnectedError: Server disconnected"),
            ("python", "httpx.ConnectError: All connection attempts failed"),
            (
                "python",
                "httpx.RemoteProtocolError: Server disconnected without sending a response.",
            ),
            (
                "jvm",
                "reactor.netty.http.client.PrematureCloseException: Connection prematurely "
                "closed DURING response",
            ),
            ("jvm", "org.apache.http.NoHttpResponseException: 10.4.1.9:8080 failed to respond"),
            ("node", "SocketError: other side closed"),
            ("go", 'Post "http://ledger:8080/v1/entries": EOF'),
        ],
        [
            "Connection closed by 10.0.0.4 port 51122 [preauth]",
            "aiohttp client session closed cleanly after 120 requests",
            'GET "/v1/entries" returned 200 in 12ms',
        ],
    ),
    "fetch_failed": (
        [
            ("node", "TypeError: fetch failed"),
            (
                "node",
                "TypeError: fetch failed\n    at node:internal/deps/undici/undici:12345:11 {\n"
                "  [cause]: Error: getaddrinfo ENOTFOUND ledger.internal",
            ),
        ],
        [
            "prefetch failed for 0 of 120 images",
            "TypeError: fetchOrders is not a function",
        ],
    ),
    "dns_resolution_failed": (
        [
            ("python", "socket.gaierror: [Errno -2] Name or service not known"),
            (
                "python",
                "urllib3.exceptions.NameResolutionError: <urllib3.connection.HTTPSConnection "
                "object at 0x7f2a>: Failed to resolve 'api.partner.io' ([Errno -3] Temporary "
                "failure in name resolution)",
            ),
            ("jvm", "java.net.UnknownHostException: payments.internal: Name or service not known"),
            ("node", "Error: getaddrinfo ENOTFOUND api.payments.example.com"),
            ("node", "Error: getaddrinfo EAI_AGAIN orders-db"),
            ("go", "dial tcp: lookup payments.internal on 10.96.0.10:53: no such host"),
            ("curl", "curl: (6) Could not resolve host: registry.example.com"),
        ],
        [
            "Error: ENOENT: no such file or directory, open '/app/.env'",
            "DNS cache refreshed: 42 hosts resolved",
            "lookup of user 42 returned no rows",
        ],
    ),
    "network_unreachable": (
        [
            ("python", "OSError: [Errno 113] No route to host"),
            ("jvm", "java.net.NoRouteToHostException: No route to host (Host unreachable)"),
            ("node", "Error: connect EHOSTUNREACH 10.20.0.4:443"),
            ("go", "dial tcp [2600:1f18::5]:443: connect: network is unreachable"),
        ],
        [
            "route /api/orders registered",
            "host web-3 reachable again after 2 failed probes",
            "network policy allow-egress applied",
        ],
    ),
    "tls_certificate_invalid": (
        [
            (
                "python",
                "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate "
                "verify failed: certificate has expired (_ssl.c:1006)",
            ),
            (
                "jvm",
                "javax.net.ssl.SSLHandshakeException: PKIX path building failed: "
                "sun.security.provider.certpath.SunCertPathBuilderException: unable to find "
                "valid certification path to requested target",
            ),
            (
                "jvm",
                "java.security.cert.CertificateExpiredException: NotAfter: Sat Jun 01 00:00:00 "
                "UTC 2024",
            ),
            ("node", "Error: certificate has expired"),
            ("node", "Error: unable to verify the first certificate"),
            ("node", "Error: self-signed certificate in certificate chain"),
            (
                "node",
                "Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's "
                "altnames: Host: ledger.internal. is not in the cert's altnames: DNS:*.corp.local",
            ),
            (
                "python",
                "aiohttp.client_exceptions.ClientConnectorCertificateError: Cannot connect to "
                "host ledger.internal:443 ssl:True [SSLCertVerificationError: (1, '[SSL: "
                "CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer "
                "certificate (_ssl.c:1006)')]",
            ),
            ("go", "x509: certificate signed by unknown authority"),
            ("go", "remote error: tls: bad certificate"),
            (
                "go",
                "tls: failed to verify certificate: x509: certificate has expired or is not yet "
                "valid: current time 2024-06-12T09:00:00Z is after 2024-06-01T00:00:00Z",
            ),
        ],
        [
            "certificate renewed for shop.example.com, valid until 2024-09-10",
            "tls: cert reload invalidated 3 cached sessions",
            "SSL session cache size set to 10m",
        ],
    ),
    "grpc_unavailable": (
        [
            (
                "python",
                "grpc._channel._InactiveRpcError: <_InactiveRpcError of RPC that terminated with:"
                '\n\tstatus = StatusCode.UNAVAILABLE\n\tdetails = "failed to connect to all '
                'addresses"\n>',
            ),
            ("jvm", "io.grpc.StatusRuntimeException: UNAVAILABLE: io exception"),
            ("node", "Error: 14 UNAVAILABLE: No connection established"),
            (
                "go",
                'rpc error: code = Unavailable desc = connection error: desc = "transport: Error '
                'while dialing: dial tcp 10.0.8.2:50051: connect: connection refused"',
            ),
            ("go", "rpc error: code = Unavailable desc = error reading from server: EOF"),
        ],
        [
            "deployment shop-api has 14 unavailable replicas",
            "feature UNAVAILABLE in region eu-west-3, falling back to defaults",
            "grpc server listening on :50051 (status code 14 maps to 503)",
        ],
    ),
    "load_balancer_error": (
        [
            (
                "nginx",
                "no live upstreams while connecting to upstream, client: 10.0.0.9, server: "
                'shop.example.com, request: "GET /api/cart HTTP/1.1", upstream: '
                '"http://app_backend/api/cart"',
            ),
            (
                "nginx",
                "connect() failed (111: Connection refused) while connecting to upstream, "
                "client: 10.0.0.9, server: shop.example.com",
            ),
            (
                "envoy",
                "upstream connect error or disconnect/reset before headers. reset reason: "
                "connection failure",
            ),
            ("envoy", "no healthy upstream"),
            ("haproxy", "backend app_backend has no server available!"),
            ("aws", "The load balancer returned 502 Bad Gateway for target group web-tg"),
        ],
        [
            "glob expansion error in build script",
            "album 502 published",
            "Reverse proxy started on :8443",
        ],
    ),
    "cloudflare_error": (
        [
            ("cloudflare", "Error 522: Connection timed out (Cloudflare Ray ID 8a1b2c3d4e5f6071)"),
            ("cloudflare", "Cloudflare returned 525 SSL handshake failed for shop.example.com"),
            ("aws", "CloudFront error: 502 ERROR The request could not be satisfied"),
            ("cloudflare", "Error 521 Web server is down"),
        ],
        [
            "knowledge base article 502 error fixed typo",
            "Microsoft Edge 120 is not supported: error shown to user",
            "hedge ratio error 0.3% within tolerance",
            "cdn_url configured: https://cdn.example.com",
        ],
    ),
    # ------------------------------------------------------------------ timeout
    "connect_read_timeout": (
        [
            (
                "python",
                "requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='api.stripe.com', "
                "port=443): Read timed out. (read timeout=10)",
            ),
            ("python", "TimeoutError: [Errno 110] Connection timed out"),
            ("jvm", "java.net.SocketTimeoutException: Read timed out"),
            ("jvm", "java.net.SocketTimeoutException: connect timed out"),
            ("node", "Error: connect ETIMEDOUT 52.84.12.3:443"),
            ("go", "dial tcp 10.0.5.3:443: i/o timeout"),
            ("go", "net/http: TLS handshake timeout"),
        ],
        [
            "read timeout configured: 10s",
            "timeout_seconds=30 applied to job 812",
            "Job finished in 2.1s, well under its 30s timeout",
        ],
    ),
    "deadline_exceeded": (
        [
            ("go", "rpc error: code = DeadlineExceeded desc = context deadline exceeded"),
            (
                "go",
                'Get "https://inventory.internal/v1/stock": context deadline exceeded '
                "(Client.Timeout exceeded while awaiting headers)",
            ),
            ("node", "AxiosError: timeout of 5000ms exceeded"),
            ("node", "TimeoutError: Navigation timeout of 30000 ms exceeded"),
            (
                "jvm",
                "java.util.concurrent.TimeoutException: Did not observe any item or terminal "
                "signal within 5000ms in 'map'",
            ),
            ("python", "asyncio.exceptions.TimeoutError"),
            (
                "python",
                "kafka.errors.KafkaTimeoutError: Failed to update metadata after 60.0 secs.",
            ),
        ],
        [
            "deadline for invoice 8812 moved to 2024-07-01",
            "TimeoutConfig loaded: connect=2s read=10s",
            "request completed in 480ms",
        ],
    ),
    "task_time_limit": (
        [
            (
                "python",
                "Soft time limit (120s) exceeded for exports.tasks.render_pdf"
                "[5d2c1b7e-9a8f-4e3d-b6c5-0f1e2d3c4b5a]",
            ),
            ("python", "celery.exceptions.SoftTimeLimitExceeded: SoftTimeLimitExceeded()"),
            ("python", "billiard.exceptions.TimeLimitExceeded: TimeLimitExceeded(300,)"),
            (
                "python",
                "rq.timeouts.JobTimeoutException: Task exceeded maximum timeout value "
                "(600 seconds)",
            ),
            ("python", "[2024-02-01 10:00:03 +0000] [1] [CRITICAL] WORKER TIMEOUT (pid:42)"),
        ],
        [
            "task_soft_time_limit set to 300",
            "time limit for exports.tasks.render_pdf raised to 600s",
            "worker timeout configured: 30s",
        ],
    ),
    "gateway_timeout": (
        [
            (
                "nginx",
                "upstream timed out (110: Connection timed out) while reading response header "
                "from upstream, client: 10.0.0.7",
            ),
            ("http", "504 Gateway Time-out"),
            ("node", "AxiosError: Request failed with status code 504"),
            (
                "python",
                "requests.exceptions.HTTPError: 504 Server Error: Gateway Timeout for url: "
                "https://api.partner.io/v2/quotes",
            ),
            ("go", "unexpected status: HTTP/1.1 504 Gateway Timeout"),
        ],
        [
            "order 5041 shipped",
            "gateway started on :8080, timeout=30s",
            "GET /health 200 504ms",
        ],
    ),
    # ------------------------------------------------------------------ memory
    "out_of_memory": (
        [
            (
                "python",
                "MemoryError: Unable to allocate 3.73 GiB for an array with shape (500000000,) "
                "and data type float64",
            ),
            ("jvm", "java.lang.OutOfMemoryError: Java heap space"),
            ("jvm", "java.lang.OutOfMemoryError: GC overhead limit exceeded"),
            (
                "node",
                "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
            ),
            ("go", "fatal error: runtime: out of memory"),
            ("shell", "fork: Cannot allocate memory"),
            (
                "python",
                "numpy.core._exceptions._ArrayMemoryError: Unable to allocate 7.45 GiB for an "
                "array with shape (1000000, 1000) and data type float64",
            ),
            (
                "python",
                "RuntimeError: [enforce fail at alloc_cpu.cpp:114] data. DefaultCPUAllocator: not "
                "enough memory: you tried to allocate 4294967296 bytes.",
            ),
            ("node", "RangeError: Array buffer allocation failed"),
            (
                "jvm",
                "# There is insufficient memory for the Java Runtime Environment to continue.",
            ),
        ],
        [
            "memory usage 45% of 2Gi limit",
            "heap snapshot written to /tmp/Heap-20240612.heapsnapshot",
            "Memory leak detector enabled (sampling 1/1000)",
        ],
    ),
    "container_oom_killed": (
        [
            ("k8s", "Last State: Terminated Reason: OOMKilled Exit Code: 137"),
            (
                "kernel",
                "Out of memory: Killed process 4242 (java) total-vm:8123456kB, anon-rss:3980012kB",
            ),
            (
                "kernel",
                "Memory cgroup out of memory: Killed process 9912 (node) total-vm:2201344kB",
            ),
            (
                "kernel",
                "java invoked oom-killer: gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE), order=0, "
                "oom_score_adj=968",
            ),
            (
                "k8s",
                "The node was low on resource: memory. Container api was using 1843Mi, which "
                "exceeds its request of 512Mi.",
            ),
        ],
        [
            "docker container web-1 killed by user (SIGTERM)",
            "container started with memory limit 512Mi",
            "Stopping container api: exit code 0",
        ],
    ),
    "worker_killed_sigkill": (
        [
            (
                "python",
                "Process 'ForkPoolWorker-7' pid:311 exited with 'signal 9 (SIGKILL)'",
            ),
            (
                "python",
                "billiard.exceptions.WorkerLostError: Worker exited prematurely: signal 9 "
                "(SIGKILL) Job: 57.",
            ),
            (
                "python",
                "[2024-02-01 10:00:04 +0000] [1] [WARNING] Worker with pid 42 was "
                "terminated due to signal 9",
            ),
            (
                "python",
                "DAMN ! worker 3 (pid: 1842) died, killed by signal 9 :( trying respawn ...",
            ),
            ("node", "WorkerDiedError: worker 4011 died (code: null, signal: SIGKILL)"),
            ("go", 'exec: "convert" failed: signal: killed'),
            ("systemd", "render.service: Main process exited, code=killed, status=9/KILL"),
            ("docker", "worker-1 exited with code 137"),
        ],
        [
            "Process 'ForkPoolWorker-2' pid:12 exited with 'signal 15 (SIGTERM)'",
            "worker-1 exited with code 0",
            "render.service: Main process exited, code=exited, status=0/SUCCESS",
        ],
    ),
    "redis_oom": (
        [
            (
                "python",
                "redis.exceptions.ResponseError: OOM command not allowed when used memory > "
                "'maxmemory'.",
            ),
            (
                "jvm",
                "io.lettuce.core.RedisCommandExecutionException: OOM command not allowed when "
                "used memory > 'maxmemory'.",
            ),
            ("node", "ReplyError: OOM command not allowed when used memory > 'maxmemory'."),
            ("go", "OOM command not allowed when used memory > 'maxmemory'."),
        ],
        [
            "maxmemory set to 2gb (policy allkeys-lru)",
            "used_memory:1048576 maxmemory:2147483648",
        ],
    ),
    # ------------------------------------------------------------------ disk
    "disk_space_full": (
        [
            (
                "python",
                "OSError: [Errno 28] No space left on device: '/var/lib/app/uploads/7f3a.tmp'",
            ),
            ("python", "sqlite3.OperationalError: database or disk is full"),
            ("jvm", "java.io.IOException: No space left on device"),
            ("node", "Error: ENOSPC: no space left on device, write"),
            ("go", "write /var/lib/registry/blobs/data: no space left on device"),
            (
                "postgres",
                'PANIC: could not write to file "pg_wal/xlogtemp.31": No space left on device',
            ),
            (
                "elasticsearch",
                "flood stage disk watermark [95%] exceeded on [node-1][/usr/share/elasticsearch/"
                "data] free: 1.2gb[2.1%], all indices on this node will be marked read-only",
            ),
            ("k8s", "The node was low on resource: ephemeral-storage."),
        ],
        [
            "BTRFS info (device sda1): disk space caching is enabled",
            "disk space check ok: 38% used on /",
            "filesystem mounted; space_cache=v2",
        ],
    ),
    "disk_io_error": (
        [
            (
                "python",
                "OSError: [Errno 5] Input/output error: '/mnt/data/part-0007.parquet'",
            ),
            ("python", "OSError: [Errno 30] Read-only file system: '/var/lib/app/cache'"),
            ("jvm", "java.io.IOException: Input/output error"),
            ("node", "Error: EROFS: read-only file system, open '/app/tmp/upload-12.part'"),
            ("node", "Error: EIO: i/o error, read"),
            ("go", "open /data/wal/000123.log: read-only file system"),
            (
                "kernel",
                "blk_update_request: I/O error, dev sdb, sector 209715200 op 0x0:(READ) flags 0x0",
            ),
            (
                "kernel",
                "EXT4-fs error (device nvme0n1p1): ext4_find_entry:1463: inode #2: comm nginx: "
                "reading directory lblock 0",
            ),
        ],
        [
            "java.io.IOException: Connection reset by peer",
            "EXT4-fs (sda1): mounted filesystem with ordered data mode",
            "I/O scheduler mq-deadline registered",
        ],
    ),
    "backup_failure": (
        [
            (
                "postgres",
                'pg_dump: error: connection to server at "db-primary" (10.0.4.12), port 5432 '
                'failed: FATAL: password authentication failed for user "backup"',
            ),
            (
                "mysql",
                "mysqldump: Got error: 1045: Access denied for user 'backup'@'localhost' (using "
                "password: YES) when trying to connect",
            ),
            (
                "cron",
                "Nightly backup of orders-db failed after 42m: upload to "
                "s3://backups/orders/2024-06-12.tar.gz interrupted",
            ),
            ("k8s", "etcd snapshot save failed: context deadline exceeded"),
        ],
        [
            "Snapshot Summary: 1 snapshot failed from 1 test suite.",
            "Backup completed in 12m, 0 errors",
            "heap snapshot written to /tmp/x.heapsnapshot",
        ],
    ),
    # ------------------------------------------------------------------ auth
    "auth_token_expired": (
        [
            ("python", "jwt.exceptions.ExpiredSignatureError: Signature has expired"),
            (
                "python",
                "google.auth.exceptions.RefreshError: ('invalid_grant: Token has been expired or "
                "revoked.', {'error': 'invalid_grant'})",
            ),
            (
                "jvm",
                "io.jsonwebtoken.ExpiredJwtException: JWT expired at 2024-06-12T08:15:02Z. "
                "Current time: 2024-06-12T09:01:44Z, a difference of 2802123 milliseconds.",
            ),
            ("node", "TokenExpiredError: jwt expired"),
            ("go", "token has invalid claims: token is expired"),
            (
                "aws",
                "An error occurred (ExpiredTokenException) when calling the AssumeRole operation: "
                "The security token included in the request is expired",
            ),
        ],
        [
            "token refresh succeeded; new token expires in 3600s",
            "author field invalid in commit metadata",
            "Tokenizer loaded 50257 tokens",
        ],
    ),
    "auth_unauthorized": (
        [
            ("python", "botocore.exceptions.NoCredentialsError: Unable to locate credentials"),
            (
                "python",
                "requests.exceptions.HTTPError: 401 Client Error: Unauthorized for url: "
                "https://api.github.com/repos/acme/shop/issues",
            ),
            (
                "jvm",
                "org.springframework.security.authentication.BadCredentialsException: "
                "Bad credentials",
            ),
            ("node", "JsonWebTokenError: invalid signature"),
            ("node", "AxiosError: Request failed with status code 401"),
            ("go", "rpc error: code = Unauthenticated desc = invalid API key"),
            ("go", "GET https://api.github.com/user: 401 Bad credentials []"),
        ],
        [
            "processed 401 records in 12s",
            "user 4412 logged in successfully",
            "unauthorized_redirect_url configured",
        ],
    ),
    "auth_forbidden": (
        [
            (
                "python",
                "botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling "
                "the GetObject operation: Access Denied",
            ),
            (
                "jvm",
                "org.springframework.security.access.AccessDeniedException: Access is denied",
            ),
            ("node", "AxiosError: Request failed with status code 403"),
            (
                "go",
                "googleapi: Error 403: app@proj.iam.gserviceaccount.com does not have "
                "storage.objects.get access to the Google Cloud Storage object., forbidden",
            ),
            ("go", "rpc error: code = PermissionDenied desc = caller does not have permission"),
            (
                "k8s",
                'pods is forbidden: User "system:serviceaccount:prod:api" cannot list resource '
                '"pods" in API group "" in the namespace "prod"',
            ),
            ("postgres", "ERROR: permission denied for table orders"),
        ],
        [
            "java.nio.file.AccessDeniedException: /var/lib/app/data.db",
            "access log rotated: /var/log/nginx/access.log",
            "GET /api/orders 200 in 403ms",
            "permission check passed for user 42",
        ],
    ),
    "db_auth_failed": (
        [
            (
                "python",
                'psycopg2.OperationalError: connection to server at "10.0.4.12", port 5432 '
                'failed: FATAL:  password authentication failed for user "orders_app"',
            ),
            (
                "python",
                "redis.exceptions.AuthenticationError: NOAUTH Authentication required.",
            ),
            (
                "jvm",
                "java.sql.SQLException: Access denied for user 'report'@'10.0.3.4' (using "
                "password: YES)",
            ),
            (
                "node",
                "Error: ER_ACCESS_DENIED_ERROR: Access denied for user 'shop'@'172.18.0.5' "
                "(using password: YES)",
            ),
            ("node", "MongoServerError: Authentication failed."),
            ("go", 'pq: password authentication failed for user "orders_app"'),
            ("redis", "WRONGPASS invalid username-password pair or user is disabled."),
        ],
        [
            'password changed for user "orders_app"',
            "Authentication succeeded for user alice via SAML",
            "GRANT SELECT ON orders TO report",
        ],
    ),
    # ------------------------------------------------------------------ rate limit
    "api_rate_limit": (
        [
            (
                "python",
                "botocore.exceptions.ClientError: An error occurred (ThrottlingException) when "
                "calling the PutMetricData operation (reached max retries: 4): Rate exceeded",
            ),
            (
                "python",
                "openai.RateLimitError: Error code: 429 - {'error': {'message': 'Rate limit "
                "reached for gpt-4o'}}",
            ),
            (
                "jvm",
                "software.amazon.awssdk.services.dynamodb.model."
                "ProvisionedThroughputExceededException: The level of configured provisioned "
                "throughput for the table was exceeded.",
            ),
            (
                "jvm",
                "feign.FeignException$TooManyRequests: [429 Too Many Requests] during [GET] to "
                "[http://inventory/v1/items]",
            ),
            ("node", "AxiosError: Request failed with status code 429"),
            ("node", "HttpError: API rate limit exceeded for installation ID 3811290."),
            ("go", "googleapi: Error 429: Too many requests, rateLimitExceeded"),
        ],
        [
            "order 4291 shipped to warehouse 12",
            "generated report with limit 50 rows",
            "rate limit configured: 100 requests per minute",
            "accelerated upload limit raised to 2 GiB",
        ],
    ),
    "quota_exceeded": (
        [
            (
                "go",
                "rpc error: code = ResourceExhausted desc = Quota exceeded for quota metric "
                "'Read requests' and limit 'Read requests per minute' of service "
                "'sheets.googleapis.com'",
            ),
            (
                "python",
                "google.api_core.exceptions.ResourceExhausted: 429 Quota exceeded for quota "
                "metric 'Queries' and limit 'Queries per minute'",
            ),
            (
                "jvm",
                "com.google.api.gax.rpc.ResourceExhaustedException: "
                "io.grpc.StatusRuntimeException: RESOURCE_EXHAUSTED: Quota exceeded",
            ),
            (
                "node",
                "Error: 429 You exceeded your current quota, please check your plan and billing "
                "details.",
            ),
            (
                "aws",
                "An error occurred (LimitExceededException) when calling the CreateLogGroup "
                "operation: Resource limit exceeded",
            ),
            (
                "k8s",
                'pods "api-7d9f" is forbidden: exceeded quota: compute-resources, requested: '
                "limits.cpu=2, used: limits.cpu=8, limited: limits.cpu=8",
            ),
        ],
        [
            "quota for tenant 42 set to 10Gi",
            "ResourceQuota compute-resources created",
            "quotation 8812 exceeded approval limit",
        ],
    ),
    # ------------------------------------------------------------------ configuration
    "config_invalid": (
        [
            (
                "python",
                "django.core.exceptions.ImproperlyConfigured: The SECRET_KEY setting must not "
                "be empty.",
            ),
            (
                "python",
                "pydantic_core._pydantic_core.ValidationError: 1 validation error for Settings",
            ),
            (
                "jvm",
                "java.lang.IllegalArgumentException: Could not resolve placeholder "
                "'payments.api.url' in value \"${payments.api.url}\"",
            ),
            (
                "jvm",
                "org.apache.kafka.common.config.ConfigException: Invalid value abc for "
                "configuration max.poll.records: Not a number of type INT",
            ),
            ("node", 'Error: Config validation error: "REDIS_URL" must be a valid uri'),
            (
                "go",
                "yaml: unmarshal errors: line 12: cannot unmarshal !!str `thirty` into "
                "time.Duration",
            ),
            (
                "nginx",
                'nginx: [emerg] unknown directive "proxy_passs" in /etc/nginx/conf.d/shop.conf:14',
            ),
        ],
        [
            "configuration reloaded from /etc/app/config.yaml",
            "Settings validated: 42 keys",
            "yaml file written to /tmp/out.yaml",
        ],
    ),
    "message_size_limit": (
        [
            (
                "go",
                "rpc error: code = ResourceExhausted desc = grpc: received message larger than "
                "max (8388608 vs. 4194304)",
            ),
            (
                "jvm",
                "org.apache.kafka.common.errors.RecordTooLargeException: The message is 2097240 "
                "bytes when serialized which is larger than 1048576, which is the value of the "
                "max.request.size configuration.",
            ),
            (
                "nginx",
                "client intended to send too large body: 15728640 bytes, client: 10.0.0.7, "
                'server: shop.example.com, request: "POST /api/upload HTTP/1.1"',
            ),
            ("go", "Error 1153 (08S01): Got a packet bigger than 'max_allowed_packet' bytes"),
        ],
        [
            "max message size set to 16MB",
            "received message of 2048 bytes on topic orders",
            "rpc error: code = ResourceExhausted desc = Quota exceeded for quota metric 'Requests'",
        ],
    ),
    "config_missing": (
        [
            ("python", "KeyError: 'DATABASE_URL'"),
            (
                "jvm",
                "SRCFG00014: The config property quarkus.datasource.jdbc.url is required but it "
                "could not be found in any config source",
            ),
            ("node", 'Error: Configuration property "db.host" is not defined'),
            ("node", "Error: Missing required environment variable: STRIPE_SECRET_KEY"),
            ("go", "required key DATABASE_URL missing value"),
            ("go", 'Config File "config" Not Found in "[/etc/shop /app]"'),
            ("k8s", "Error: couldn't find key DB_PASSWORD in Secret prod/db-credentials"),
            ("k8s", 'Error: configmap "shop-config" not found'),
        ],
        [
            "KeyError: 'sku'",
            "KeyError: 'customer_id'",
            "environment variable LOG_LEVEL set to debug",
            'secret "db-credentials" created',
        ],
    ),
    "file_permission_denied": (
        [
            ("python", "PermissionError: [Errno 13] Permission denied: '/var/log/shop/app.log'"),
            ("jvm", "java.nio.file.AccessDeniedException: /var/lib/shop/data/index.lock"),
            ("jvm", "java.io.FileNotFoundException: /var/log/shop/app.log (Permission denied)"),
            ("node", "Error: EACCES: permission denied, open '/app/logs/out.log'"),
            ("node", "Error: listen EACCES: permission denied 0.0.0.0:80"),
            ("go", "open /etc/shop/tls.key: permission denied"),
            (
                "nginx",
                'open() "/var/log/nginx/error.log" failed (13: Permission denied)',
            ),
        ],
        [
            "ERROR: permission denied for table orders",
            "Access denied for user 'app'@'10.0.0.3' (using password: YES)",
            "permissions of /var/log/shop fixed (0755)",
        ],
    ),
    "cors_policy_violation": (
        [
            (
                "browser",
                "Access to fetch at 'https://api.example.com/v1/cart' from origin "
                "'https://shop.example.com' has been blocked by CORS policy: No "
                "'Access-Control-Allow-Origin' header is present on the requested resource.",
            ),
            (
                "browser",
                "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the "
                "remote resource at https://api.example.com/v1/cart. (Reason: CORS header "
                "'Access-Control-Allow-Origin' missing).",
            ),
            ("jvm", "Invalid CORS request"),
            ("node", "Error: Not allowed by CORS"),
        ],
        [
            "CORS enabled for origins https://app.example.com",
            "Scorsese_film metadata import error",
            "cross-origin isolation policy enabled (COOP/COEP)",
        ],
    ),
    "address_in_use": (
        [
            ("python", "OSError: [Errno 98] Address already in use"),
            ("jvm", "java.net.BindException: Address already in use"),
            ("jvm", "Web server failed to start. Port 8080 was already in use."),
            ("node", "Error: listen EADDRINUSE: address already in use :::3000"),
            ("go", "listen tcp :8080: bind: address already in use"),
            (
                "nginx",
                "nginx: [emerg] bind() to 0.0.0.0:80 failed (98: Address already in use)",
            ),
        ],
        [
            "listening on :8080",
            "address 10.0.0.4 already registered",
            "port 8080 is free",
        ],
    ),
    "image_pull_failed": (
        [
            (
                "k8s",
                'Failed to pull image "registry.example.com/shop/api:v2.31.0": rpc error: code '
                "= NotFound desc = failed to pull and unpack image: not found",
            ),
            ("k8s", 'Back-off pulling image "ghcr.io/acme/worker:sha-9f8e7d6"'),
            ("k8s", "Error: ImagePullBackOff"),
            (
                "docker",
                "Error response from daemon: pull access denied for acme/api, repository does "
                "not exist or may require 'docker login'",
            ),
            (
                "docker",
                "Error response from daemon: manifest for acme/api:2.31.0 not found: manifest "
                "unknown: manifest unknown",
            ),
        ],
        [
            'Successfully pulled image "registry.example.com/shop/api:v2.31.0" in 3.2s',
            'Pulling image "busybox:1.36"',
            "image pull secret regcred attached to service account default",
        ],
    ),
    # ------------------------------------------------------------------ code
    "null_reference": (
        [
            ("python", "AttributeError: 'NoneType' object has no attribute 'get'"),
            ("python", "TypeError: 'NoneType' object is not subscriptable"),
            (
                "jvm",
                'java.lang.NullPointerException: Cannot invoke "String.length()" because "s" '
                "is null",
            ),
            (
                "jvm",
                "java.lang.NullPointerException: Parameter specified as non-null is null: method "
                "com.acme.Order.<init>, parameter sku",
            ),
            ("node", "TypeError: Cannot read properties of undefined (reading 'map')"),
            (
                "node",
                "TypeError: Cannot destructure property 'id' of 'req.body' as it is undefined.",
            ),
            ("go", "panic: runtime error: invalid memory address or nil pointer dereference"),
            ("go", "panic: assignment to entry in nil map"),
            ("ruby", "NoMethodError: undefined method `total' for nil:NilClass"),
        ],
        [
            "nil values filtered from batch 12 (3 removed)",
            "null check passed for order 8812",
            "TypeError: unsupported operand type(s) for +: 'int' and 'str'",
        ],
    ),
    "type_error": (
        [
            ("python", "TypeError: unsupported operand type(s) for +: 'int' and 'str'"),
            (
                "python",
                "TypeError: create_order() takes 2 positional arguments but 3 were given",
            ),
            (
                "jvm",
                "java.lang.ClassCastException: class java.lang.String cannot be cast to class "
                "java.lang.Integer",
            ),
            ("node", "TypeError: items.map is not a function"),
            ("go", "panic: interface conversion: interface {} is string, not float64"),
        ],
        [
            "type check passed (mypy: 0 errors)",
            "Content type error page served for /cart",
            "function call took 12ms",
        ],
    ),
    "attribute_reference_error": (
        [
            ("python", "AttributeError: 'Order' object has no attribute 'total_cents'"),
            ("python", "NameError: name 'settings' is not defined"),
            (
                "python",
                "UnboundLocalError: cannot access local variable 'user' where it is not "
                "associated with a value",
            ),
            ("node", "ReferenceError: fetchUser is not defined"),
            (
                "jvm",
                "java.lang.NoSuchMethodError: 'void com.acme.Client.send(java.lang.String)'",
            ),
            ("jvm", "java.lang.NoSuchFieldError: INSTANCE"),
        ],
        [
            'attribute "color" added to product 42',
            "Reference data loaded: 1200 rows",
            "name resolution cache cleared",
        ],
    ),
    "index_key_error": (
        [
            ("python", "IndexError: list index out of range"),
            ("python", "KeyError: 'sku'"),
            (
                "jvm",
                "java.lang.ArrayIndexOutOfBoundsException: Index 5 out of bounds for length 3",
            ),
            ("jvm", "java.util.NoSuchElementException: No value present"),
            ("node", "RangeError: Invalid array length"),
            ("go", "panic: runtime error: index out of range [5] with length 3"),
            ("go", "panic: runtime error: slice bounds out of range [:12] with capacity 8"),
        ],
        [
            "index rebuilt for table orders in 3.2s",
            "key rotation completed for tenant 7",
            "range query returned 0 rows",
        ],
    ),
    "stack_overflow": (
        [
            (
                "python",
                "RecursionError: maximum recursion depth exceeded while calling a Python object",
            ),
            ("jvm", "java.lang.StackOverflowError"),
            ("node", "RangeError: Maximum call stack size exceeded"),
            ("go", "runtime: goroutine stack exceeds 1000000000-byte limit"),
            ("go", "fatal error: stack overflow"),
        ],
        [
            "see https://stackoverflow.com/q/12345 for details",
            "call stack captured for trace 8812",
            "recursion depth set to 50",
        ],
    ),
    "concurrency_defect": (
        [
            ("go", "fatal error: concurrent map writes"),
            ("go", "fatal error: all goroutines are asleep - deadlock!"),
            ("go", "panic: send on closed channel"),
            ("go", "WARNING: DATA RACE"),
            ("jvm", "java.util.ConcurrentModificationException"),
            ("python", "RuntimeError: dictionary changed size during iteration"),
        ],
        [
            "ERROR: deadlock detected",
            "map writes batched: 120 per flush",
            "channel closed by consumer 4 after drain",
        ],
    ),
    "syntax_error": (
        [
            ("python", "SyntaxError: invalid syntax"),
            ("python", "IndentationError: unexpected indent"),
            ("node", "SyntaxError: Cannot use import statement outside a module"),
            ("node", "SyntaxError: Unexpected identifier"),
            (
                "jvm",
                "java.lang.Error: Unresolved compilation problem: The method foo() is undefined "
                "for the type Bar",
            ),
            ("postgres", 'ERROR: syntax error at or near "FROM" at character 15'),
            (
                "mysql",
                "ERROR 1064 (42000): You have an error in your SQL syntax; check the manual that "
                "corresponds to your MySQL server version for the right syntax to use near "
                "'FORM orders' at line 1",
            ),
        ],
        [
            "Syntax check passed with 0 errors",
            "SyntaxError: Unexpected token < in JSON at position 0",
            "indentation set to 4 spaces",
        ],
    ),
    "json_decode_error": (
        [
            (
                "python",
                "json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)",
            ),
            (
                "jvm",
                "com.fasterxml.jackson.core.JsonParseException: Unexpected character ('<' (code "
                "60)): expected a valid value",
            ),
            (
                "jvm",
                "com.fasterxml.jackson.databind.exc.MismatchedInputException: Cannot deserialize "
                'value of type `java.lang.Long` from String "abc"',
            ),
            ("node", "SyntaxError: Unexpected token < in JSON at position 0"),
            (
                "node",
                "SyntaxError: Unexpected token '<', \"<!DOCTYPE \"... is not valid JSON",
            ),
            ("go", "invalid character '<' looking for beginning of value"),
            (
                "go",
                "json: cannot unmarshal string into Go struct field Order.total of type float64",
            ),
        ],
        [
            "parsed 12 json documents, decode errors: 0",
            "Content-Type: application/json",
            "SyntaxError: invalid syntax",
        ],
    ),
    "import_module_error": (
        [
            ("python", "ModuleNotFoundError: No module named 'pydantic_settings'"),
            ("python", "ImportError: cannot import name 'url_quote' from 'werkzeug.urls'"),
            ("jvm", "java.lang.NoClassDefFoundError: org/slf4j/LoggerFactory"),
            ("jvm", "java.lang.ClassNotFoundException: com.mysql.cj.jdbc.Driver"),
            ("node", "Error: Cannot find module 'express'"),
            (
                "node",
                "Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'zod' imported from "
                "/app/dist/index.js",
            ),
            (
                "linux",
                "/usr/local/bin/api: error while loading shared libraries: libssl.so.3: cannot "
                "open shared object file: No such file or directory",
            ),
        ],
        [
            "Imported 1200 rows from orders.csv with 3 errors",
            "Error: Cannot find user 'bob'",
            "module billing loaded in 12ms",
        ],
    ),
    "invalid_argument": (
        [
            ("python", "ValueError: invalid literal for int() with base 10: 'twelve'"),
            ("jvm", 'java.lang.NumberFormatException: For input string: "12a"'),
            ("jvm", "java.lang.IllegalArgumentException: Invalid UUID string: 42"),
            ("node", "RangeError: Invalid time value"),
            (
                "node",
                'TypeError [ERR_INVALID_ARG_TYPE]: The "path" argument must be of type string. '
                "Received undefined",
            ),
            ("go", 'strconv.Atoi: parsing "12a": invalid syntax'),
        ],
        [
            "value error rate 0.1% (threshold 1%)",
            "argument --limit defaults to 50",
            "illegal character filter removed 3 chars",
        ],
    ),
    # ------------------------------------------------------------------ dependency
    "third_party_service_down": (
        [
            (
                "jvm",
                "io.github.resilience4j.circuitbreaker.CallNotPermittedException: CircuitBreaker "
                "'inventory' is OPEN and does not permit further calls",
            ),
            (
                "python",
                "requests.exceptions.HTTPError: 503 Server Error: Service Unavailable for url: "
                "https://api.partner.io/v1/rates",
            ),
            (
                "python",
                "stripe.error.APIConnectionError: Unexpected error communicating with Stripe.",
            ),
            ("node", "AxiosError: Request failed with status code 503"),
            ("app", "External payment provider unavailable: falling back to queueing orders"),
        ],
        [
            'rpc error: code = Unavailable desc = connection error: desc = "transport: Error '
            'while dialing: dial tcp 10.0.8.2:50051: connect: connection refused"',
            "external IP assigned to service web: 34.1.2.3",
            "upstream repository synced, 0 errors",
            "processed 503 webhooks in 2s",
            "circuit breaker 'payments' closed after 3 successful calls",
        ],
    ),
    "webhook_delivery_failed": (
        [
            (
                "app",
                "Webhook delivery failed for endpoint https://hooks.partner.io/orders: 502 Bad "
                "Gateway",
            ),
            (
                "app",
                "Stripe webhook evt_1PXq2 delivery to https://shop.example.com/stripe/webhook "
                "timed out after 30s",
            ),
            ("app", "github webhook 9d1e5f returned 500 from https://ci.example.com/hook"),
            (
                "node",
                "Error: webhook POST https://hooks.slack.com/services/T000/B000 failed: 404 "
                "no_service",
            ),
        ],
        [
            "callback registered for event order.created; error handler attached",
            "webhook delivered in 120ms (status 200)",
            "webhook failover endpoint configured",
        ],
    ),
    "email_delivery_failed": (
        [
            (
                "python",
                "smtplib.SMTPAuthenticationError: (535, b'5.7.8 Username and Password not "
                "accepted.')",
            ),
            (
                "jvm",
                "org.springframework.mail.MailSendException: Mail server connection failed",
            ),
            (
                "postfix",
                "postfix/smtp[2211]: 4F1C2A1: to=<ops@example.com>, relay=mx.example.com"
                "[203.0.113.5]:25, delay=2.1, status=bounced (host said: 550 5.1.1 user unknown)",
            ),
            ("go", "gomail: could not send email 1: 550 5.7.1 Relaying denied"),
        ],
        [
            "Mailchimp audience synced; 0 errors",
            "email verified for user 4412",
            "mail queue flushed: 12 messages sent",
        ],
    ),
    "message_broker_unavailable": (
        [
            ("python", "kafka.errors.NoBrokersAvailable: NoBrokersAvailable"),
            ("python", "pika.exceptions.AMQPConnectionError"),
            (
                "jvm",
                "Connection to node -1 (kafka-0.kafka.svc/10.0.6.4:9092) could not be "
                "established. Broker may not be available.",
            ),
            (
                "jvm",
                "org.apache.kafka.common.errors.TimeoutException: Topic orders not present in "
                "metadata after 60000 ms.",
            ),
            (
                "node",
                "KafkaJSConnectionError: Connection error: connect ECONNREFUSED 10.0.6.4:9092",
            ),
            ("node", "Error: connect ECONNREFUSED 127.0.0.1:5672"),
            (
                "go",
                "kafka: client has run out of available brokers to talk to: dial tcp "
                "10.0.6.4:9092: connect: connection refused",
            ),
        ],
        [
            "Kafka consumer group orders-consumer rebalanced: 6 partitions assigned",
            "broker kafka-0 registered with controller",
            "AMQP channel 3 closed normally by application",
        ],
    ),
    # ------------------------------------------------------------------ capacity
    "high_cpu_usage": (
        [
            ("monitoring", "CPU usage at 97.5% on web-3 for 10 minutes"),
            (
                "k8s",
                "Alert CPUThrottlingHigh: 68% throttling of CPU in namespace prod for "
                "container api",
            ),
            ("kernel", "watchdog: BUG: soft lockup - CPU#3 stuck for 22s! [java:4812]"),
            ("kernel", "rcu: INFO: rcu_sched self-detected stall on CPU"),
        ],
        [
            "CPU usage 45% on web-3",
            "processor highlights enabled",
            "cpu: 4 cores detected, high-performance governor",
        ],
    ),
    "queue_processing_backlog": (
        [
            ("kafka", "consumer group payments lag 152340 exceeds threshold 10000 on topic orders"),
            ("rabbitmq", "RabbitMQ queue 'emails' depth 48211 above threshold 10000"),
            ("python", "Celery queue default length 12000 exceeds 5000"),
            ("python", "asyncio.QueueFull"),
            ("ruby", "sidekiq queue default latency 1204s above 300s"),
        ],
        [
            "queue 'emails' declared (durable=true)",
            "pending requests: 0; large payloads allowed",
            "feature flag exceeds rollout 50%",
        ],
    ),
    "thread_pool_exhausted": (
        [
            (
                "jvm",
                "java.util.concurrent.RejectedExecutionException: Task "
                "java.util.concurrent.FutureTask@5e9f23b4 rejected from "
                "java.util.concurrent.ThreadPoolExecutor@7a4f0f29[Running, pool size = 200, "
                "active threads = 200, queued tasks = 1000, completed tasks = 88123]",
            ),
            (
                "elasticsearch",
                "es_rejected_execution_exception: rejected execution of coordinating operation "
                "[coordinating_and_primary_bytes=0]",
            ),
            ("nginx", "1024 worker_connections are not enough while connecting to upstream"),
            (
                "apache",
                "AH00161: server reached MaxRequestWorkers setting, consider raising the "
                "MaxRequestWorkers setting",
            ),
            (
                "php",
                "WARNING: [pool www] server reached pm.max_children setting (50), consider "
                "raising it",
            ),
        ],
        [
            "thread pool resized to 64 workers",
            "worker_connections set to 1024",
            "RejectedExecutionHandler set to CallerRunsPolicy",
        ],
    ),
}

#: Ordinary log lines no default pattern may match.
BENIGN = [
    "GET /api/orders 200 in 12ms",
    "Server started on :8080 (pid 4412)",
    "User 4412 logged in from 10.0.0.7",
    "nightly report generated 3 warnings for tenant 12",
    "Processed 1200 messages from topic orders in 3.1s",
    "Scheduled job cleanup-tmp finished with exit code 0",
    "Elasticsearch cluster health changed from yellow to green",
    "Restored 42 sessions from the session store",
    "Loaded 27 patterns from config/error_patterns.json",
    "Deployment shop-api rolled out: 3/3 replicas available",
]


@cache
def _document() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(PATTERNS_PATH.read_text())
    return data


@cache
def _patterns() -> dict[str, ErrorPattern]:
    return {p.id: p for p in load_patterns(PATTERNS_PATH)}


@cache
def _compiled(pattern_id: str) -> Any:
    return re2.compile(_patterns()[pattern_id].pattern, re2_options())


def _matches(pattern_id: str, text: str) -> bool:
    return _compiled(pattern_id).search(text) is not None


def test_all_patterns_load_and_compile_with_re2() -> None:
    patterns = _patterns()
    assert patterns
    for pattern in patterns.values():
        assert re2.compile(pattern.pattern, re2_options()) is not None


def test_every_pattern_has_test_cases() -> None:
    missing = sorted(set(_patterns()) - set(CASES))
    stale = sorted(set(CASES) - set(_patterns()))
    assert not missing, f"patterns without test cases: {missing}"
    assert not stale, f"test cases for patterns not in the file: {stale}"


@pytest.mark.parametrize("pattern_id", sorted(CASES))
def test_each_pattern_has_at_least_two_cases_each_way(pattern_id: str) -> None:
    matches, non_matches = CASES[pattern_id]
    assert len(matches) >= 2
    assert len(non_matches) >= 2


@pytest.mark.parametrize(
    ("pattern_id", "lang", "text"),
    [(pid, lang, text) for pid, (matches, _) in sorted(CASES.items()) for lang, text in matches],
)
def test_pattern_matches(pattern_id: str, lang: str, text: str) -> None:
    assert _matches(pattern_id, text), f"{pattern_id} should match this {lang} text: {text!r}"


@pytest.mark.parametrize(
    ("pattern_id", "text"),
    [(pid, text) for pid, (_, non_matches) in sorted(CASES.items()) for text in non_matches],
)
def test_pattern_does_not_match_near_misses(pattern_id: str, text: str) -> None:
    assert not _matches(pattern_id, text), f"{pattern_id} should not match {text!r}"


@pytest.mark.parametrize("text", BENIGN)
def test_ordinary_log_lines_match_no_pattern(text: str) -> None:
    assert [pid for pid in _patterns() if _matches(pid, text)] == []


@pytest.mark.parametrize("category", REQUIRED_CATEGORIES)
def test_required_category_covers_every_language(category: str) -> None:
    ids = [p.id for p in _patterns().values() if p.category == category]
    assert ids, f"no pattern in category {category}"
    languages = {lang for pid in ids for lang, _ in CASES.get(pid, ([], []))[0]}
    assert set(LANGUAGES) <= languages, f"{category}: no examples for {set(LANGUAGES) - languages}"


def test_categories_are_the_required_ones_plus_known_extras() -> None:
    categories = {p.category for p in _patterns().values()}
    assert set(REQUIRED_CATEGORIES) <= categories
    assert categories <= set(REQUIRED_CATEGORIES) | set(EXTRA_CATEGORIES)


def test_every_pattern_is_case_insensitive_and_names_a_strategy() -> None:
    for pattern in _patterns().values():
        assert pattern.pattern.startswith("(?i)"), pattern.id
        assert pattern.resolution_strategy, pattern.id
        assert pattern.metadata.common_causes, pattern.id
        assert pattern.metadata.business_impact is not None, pattern.id


def test_similar_errors_name_patterns_in_the_file() -> None:
    ids = set(_patterns())
    for pattern in _patterns().values():
        assert set(pattern.similar_errors) <= ids - {pattern.id}, pattern.id


def test_document_counts_agree_with_the_patterns() -> None:
    document = _document()
    patterns = list(_patterns().values())
    assert document["pattern_count"] == len(patterns)
    assert document["version"]
    assert document["description"]
    distribution: dict[str, int] = {}
    for pattern in patterns:
        distribution[pattern.category] = distribution.get(pattern.category, 0) + 1
    assert document["metadata"]["category_distribution"] == distribution
    auto = sum(p.metadata.auto_resolvable for p in patterns)
    assert document["metadata"]["auto_resolvable_count"] == auto
    assert document["metadata"]["manual_intervention_required"] == len(patterns) - auto


def test_every_core_category_has_suggestions_of_its_own() -> None:
    assert set(BY_CATEGORY) == set(CORE_CATEGORIES)
