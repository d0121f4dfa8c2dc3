#!/usr/bin/python3
# A CGI script that tells mod_opentracing what it did, in Trace-* response
# headers (TraceBackendHeaders On, the default): the route it served, a
# tag, an event, and a child span for a piece of work it timed.  The
# module reads them into the request's span and removes them: the client
# never sees them.  Values are percent-encoded (W3C baggage values).
import sys
import time
from urllib.parse import quote


def enc(value):
    return quote(value, safe="")


start = time.time_ns()
total = sum(range(1000))                # the work being timed
end = time.time_ns()

out = sys.stdout
out.write("Content-Type: text/plain\r\n")
out.write("Trace-Operation: GET /examples/{lang}\r\n")
out.write("Trace-Tag: example.lang=python, app.user=%s\r\n" % enc("alice b"))
out.write("Trace-Event: cache.miss; cache.key=%s\r\n" % enc("users/1"))
out.write("Trace-Span: %s; start=%d; dur=%dns; kind=internal; sum=%d\r\n"
          % (enc("sum range"), start, end - start, total))
out.write("\r\n")
out.write("hello from python\n")
