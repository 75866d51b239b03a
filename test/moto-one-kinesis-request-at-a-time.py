"""moto's server, handling one Kinesis request at a time (tests only).

moto 5.2.1 (and 5.2.5, the newest on PyPI here) numbers Kinesis records without a lock: its
Shard.put_record says "this function is not safe for concurrency". Under concurrent PutRecords to
one shard, two records get the same sequence number and the second overwrites the first: about 30
of 8,000 records vanish although PutRecords acknowledged them. fraudlab's producer keeps 8 requests
in flight, as the KPL does against AWS, so the conformance tests serve moto through this launcher,
which holds a lock around each Kinesis request. Other services run concurrently: an SQS long poll
must not hold up the stream. test/aws-target.test.ts asserts the bug against moto's own
threaded server, so that a fixed moto is noticed and this launcher can go.

Usage: python3 moto-one-kinesis-request-at-a-time.py -H HOST -p PORT
"""
import argparse
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

parser = argparse.ArgumentParser()
parser.add_argument("-H", "--host", default="127.0.0.1")
parser.add_argument("-p", "--port", type=int, required=True)
args = parser.parse_args()

app = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()


def one_kinesis_request_at_a_time(environ, start_response):
    if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("Kinesis_"):
        return app(environ, start_response)
    with lock:
        # The whole answer is produced under the lock, not only its first part.
        return list(app(environ, start_response))


run_simple(args.host, args.port, one_kinesis_request_at_a_time, threaded=True)
