#!/usr/bin/env node
/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * otlp-decode.js: decode one OTLP/protobuf ExportTraceServiceRequest
 * (opentelemetry.proto.collector.trace.v1) and print it as JSON, for tests
 * that check what mod_opentracing's protobuf encoder (tracer/sdk/ot_otlp_proto.c)
 * or the otlp tracer sends.  An independent decoder: the schema is the
 * protobufjs code generated from opentelemetry-proto that ships with the npm
 * package @opentelemetry/otlp-transformer (build/src/generated/root.js).
 *
 * Usage:
 *   node t/tools/otlp-decode.js [--compact] [--lax-utf8] [--allow-unknown] [FILE]
 *
 *   FILE        the serialized message; standard input when absent or "-".
 *               A gzip stream (Content-Encoding: gzip) is inflated first.
 *   --compact   one line of JSON instead of indented output.
 *   --lax-utf8  accept invalid UTF-8 in string fields (by default it is an
 *               error, as in the OpenTelemetry Collector's Go decoder).
 *   --allow-unknown  skip fields the schema does not know instead of
 *               failing.
 *
 * Output: the message as protobufjs's toObject() gives it, with only the
 * fields present on the wire (proto3 fields left out at their default do
 * not appear; a oneof member holding false, 0 or "" does), field names in
 * lowerCamelCase, enums as numbers, 64-bit integers (int64, fixed64) as
 * decimal strings, bytes fields (trace and span ids) as lowercase hex,
 * NaN and infinite doubles as "NaN", "Infinity", "-Infinity".
 *
 * Span.flags (field 16) and Span.Link.flags (field 6), both fixed32, are
 * newer (opentelemetry-proto 1.1.0) than the schema of that package, whose
 * decoder skips them as unknown fields: this script reads those two
 * itself, with a small walk over the raw message, and adds them as "flags"
 * (a number) to the spans and links that carry them.  Any other field the
 * schema does not know is an error (--allow-unknown: skip it silently).
 *
 * Exit status: 0 decoded, 1 the input is not a valid message (truncated,
 * bad wire type, invalid UTF-8, unknown field...), 2 usage error or the
 * package is missing.
 *
 * Finding the package: set OTLP_TRANSFORMER_DIR to a folder where it was
 * installed (the folder holding node_modules/, or node_modules/ itself, or
 * the package's own folder), or put that node_modules/ in NODE_PATH.
 * Pinned version, outside the source tree:
 *
 *   mkdir -p /tmp/otlpdec && cd /tmp/otlpdec &&
 *       npm install @opentelemetry/otlp-transformer@0.52.1
 *   OTLP_TRANSFORMER_DIR=/tmp/otlpdec node t/tools/otlp-decode.js req.bin
 *
 * Only Node.js built-ins besides that package (node >= 12).
 */

'use strict';

const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const PKG = '@opentelemetry/otlp-transformer';
const ROOT_JS = 'build/src/generated/root.js';
const MESSAGE = 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest';

function usage(msg, status = 2) {
    (status ? process.stderr : process.stdout).write('otlp-decode: ' + msg + '\n'
        + 'usage: otlp-decode.js [--compact] [--lax-utf8] [--allow-unknown] [FILE]\n');
    process.exit(status);
}

/* The path of root.js: under OTLP_TRANSFORMER_DIR, else the usual lookup
 * (NODE_PATH, node_modules folders above this script). */
function findRoot() {
    const dir = process.env.OTLP_TRANSFORMER_DIR;
    const tried = [];

    if (dir) {
        const own = path.join(dir, ROOT_JS);
        if (fs.existsSync(own)) {
            return own;
        }
        tried.push(own);
        for (const base of [dir, path.join(dir, 'node_modules')]) {
            try {
                return require.resolve(PKG + '/' + ROOT_JS, { paths: [base] });
            }
            catch (e) {
                tried.push(base);
            }
        }
    }
    try {
        return require.resolve(PKG + '/' + ROOT_JS);
    }
    catch (e) {
        tried.push('NODE_PATH=' + (process.env.NODE_PATH || ''));
    }
    process.stderr.write('otlp-decode: cannot find ' + PKG + ' (tried '
        + tried.join(', ') + ');\n  npm install ' + PKG + '@0.52.1 somewhere'
        + ' and set OTLP_TRANSFORMER_DIR to that folder\n');
    process.exit(2);
    return null;
}

/* Make protobufjs reject invalid UTF-8 and strings running past the end
 * (its own readers replace the one and cut the other silently). */
function strictStrings(protobuf) {
    const dec = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

    function readString() {
        const len = this.uint32();
        const start = this.pos;

        if (start + len > this.len) {
            throw new RangeError('string runs past the end of its message'
                + ' (at byte ' + start + ', ' + len + ' bytes)');
        }
        this.pos = start + len;
        try {
            return dec.decode(this.buf.subarray(start, start + len));
        }
        catch (e) {
            throw new TypeError('invalid UTF-8 in a string field at byte '
                + start);
        }
    }
    protobuf.Reader.prototype.string = readString;
    if (protobuf.BufferReader) {
        protobuf.BufferReader.prototype.string = readString;
    }
}

/* ---- the fields the schema lacks ------------------------------------ */

/* Field numbers on the path to them (opentelemetry-proto). */
const REQ_RESOURCE_SPANS = 1;   /* ExportTraceServiceRequest */
const RS_SCOPE_SPANS = 2;       /* ResourceSpans */
const SS_SPANS = 2;             /* ScopeSpans */
const SPAN_LINKS = 13;          /* Span */
const SPAN_FLAGS = 16;          /* Span, fixed32 */
const LINK_FLAGS = 6;           /* Span.Link, fixed32 */

function rawVarint(buf, pos, end) {
    let v = 0, mul = 1;

    for (let i = 0; i < 10; i++) {
        if (pos >= end) {
            throw new RangeError('varint runs past the end at byte ' + pos);
        }
        const c = buf[pos++];
        v += (c & 0x7f) * mul;
        mul *= 128;
        if (c < 0x80) {
            return [v, pos];
        }
    }
    throw new RangeError('varint longer than 10 bytes at byte ' + pos);
}

/* The fields of the message in buf[start, end): { field, wt, tagEnd,
 * start, end } with start and end the bounds of a LEN field's content or
 * of a fixed32's 4 bytes. */
function rawFields(buf, start, end) {
    const out = [];
    let pos = start;

    while (pos < end) {
        let tag, len;
        [tag, pos] = rawVarint(buf, pos, end);
        const f = { field: Math.floor(tag / 8), wt: tag % 8, tagEnd: pos };
        switch (f.wt) {
        case 0:
            [, pos] = rawVarint(buf, pos, end);
            break;
        case 1:
            pos += 8;
            break;
        case 2:
            [len, pos] = rawVarint(buf, pos, end);
            f.start = pos;
            pos += len;
            f.end = pos;
            break;
        case 5:
            f.start = pos;
            pos += 4;
            f.end = pos;
            break;
        default:
            throw new Error('wire type ' + f.wt + ' at byte ' + (f.tagEnd - 1));
        }
        if (pos > end) {
            throw new RangeError('field ' + f.field + ' runs past the end of'
                + ' its message at byte ' + f.tagEnd);
        }
        out.push(f);
    }
    return out;
}

function sub(fields, number) {
    return fields.filter((f) => f.field === number);
}

function rawFixed32(buf, f, what) {
    if (f.wt !== 5) {
        throw new Error(what + ' has wire type ' + f.wt + ', not 5 (fixed32),'
            + ' at byte ' + f.tagEnd);
    }
    return buf.readUInt32LE(f.start);
}

/*
 * Add Span.flags and Link.flags from the raw message to the decoded
 * object (in the same order, as repeated fields keep it); return the
 * positions just past their tags, which protobufjs skipped as unknown.
 */
function graftFlags(buf, obj) {
    const known = new Set();

    sub(rawFields(buf, 0, buf.length), REQ_RESOURCE_SPANS).forEach((rf, i) => {
        sub(rawFields(buf, rf.start, rf.end), RS_SCOPE_SPANS).forEach((sf, j) => {
            sub(rawFields(buf, sf.start, sf.end), SS_SPANS).forEach((pf, k) => {
                const fields = rawFields(buf, pf.start, pf.end);
                const span = obj.resourceSpans[i].scopeSpans[j].spans[k];

                for (const f of sub(fields, SPAN_FLAGS)) {
                    span.flags = rawFixed32(buf, f, 'Span.flags');
                    known.add(f.tagEnd);
                }
                sub(fields, SPAN_LINKS).forEach((lf, l) => {
                    for (const f of sub(rawFields(buf, lf.start, lf.end), LINK_FLAGS)) {
                        span.links[l].flags = rawFixed32(buf, f, 'Link.flags');
                        known.add(f.tagEnd);
                    }
                });
            });
        });
    });
    return known;
}

/* Note where the generated decoders skip a field they do not know. */
function watchUnknown(protobuf) {
    const skipped = [];
    const skipType = protobuf.Reader.prototype.skipType;

    protobuf.Reader.prototype.skipType = function (wireType, depth) {
        if (!depth) {
            skipped.push(this.pos);
        }
        return skipType.call(this, wireType, depth);
    };
    return skipped;
}

/* Buffers to hex, non-finite numbers to strings, recursively. */
function plain(v) {
    if (v instanceof Uint8Array) {
        return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
    }
    if (Array.isArray(v)) {
        return v.map(plain);
    }
    if (typeof v === 'number' && !Number.isFinite(v)) {
        return Number.isNaN(v) ? 'NaN' : (v > 0 ? 'Infinity' : '-Infinity');
    }
    if (v && typeof v === 'object') {
        const o = {};
        for (const k of Object.keys(v)) {
            o[k] = plain(v[k]);
        }
        return o;
    }
    return v;
}

function main(argv) {
    let compact = false, lax = false, allowUnknown = false, file = null;

    for (const a of argv) {
        if (a === '--compact') {
            compact = true;
        }
        else if (a === '--lax-utf8') {
            lax = true;
        }
        else if (a === '--allow-unknown') {
            allowUnknown = true;
        }
        else if (a === '-h' || a === '--help') {
            usage('decode an OTLP/protobuf ExportTraceServiceRequest (see the top of this file)', 0);
        }
        else if (a.startsWith('--') || file !== null) {
            usage('unexpected argument ' + a);
        }
        else {
            file = a;
        }
    }

    const rootJs = findRoot();
    const protobuf = require(require.resolve('protobufjs/minimal',
                                             { paths: [path.dirname(rootJs)] }));
    if (!lax) {
        strictStrings(protobuf);
    }
    const skipped = watchUnknown(protobuf);
    const root = require(rootJs);
    const Req = MESSAGE.split('.').reduce((o, k) => o && o[k], root);
    if (!Req || typeof Req.decode !== 'function') {
        process.stderr.write('otlp-decode: ' + MESSAGE + ' not in ' + rootJs + '\n');
        process.exit(2);
    }
    if (!protobuf.util.Long) {
        process.stderr.write('otlp-decode: protobufjs has no Long support'
            + ' (package "long" missing): 64-bit values would lose precision\n');
        process.exit(2);
    }

    let data;
    try {
        data = fs.readFileSync(file === null || file === '-' ? 0 : file);
    }
    catch (e) {
        usage('cannot read ' + (file || 'standard input') + ': ' + e.message);
    }
    if (data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b) {
        try {
            data = zlib.gunzipSync(data);
        }
        catch (e) {
            process.stderr.write('otlp-decode: bad gzip stream: ' + e.message + '\n');
            process.exit(1);
        }
    }

    let obj;
    try {
        const msg = Req.decode(data);
        const err = Req.verify(msg);
        if (err) {
            throw new Error(err);
        }
        obj = Req.toObject(msg, {
            longs: String, enums: Number, defaults: false, arrays: false,
            objects: false, oneofs: false, json: true
        });
        const known = graftFlags(data, obj);
        const unknown = skipped.filter((p) => !known.has(p));
        if (unknown.length && !allowUnknown) {
            throw new Error(unknown.length + ' unknown field(s), the first'
                + ' with its tag ending at byte ' + unknown[0]);
        }
    }
    catch (e) {
        process.stderr.write('otlp-decode: not a valid ' + MESSAGE + ': '
            + e.message + '\n');
        process.exit(1);
    }
    process.stdout.write(JSON.stringify(plain(obj), null, compact ? 0 : 2) + '\n');
}

main(process.argv.slice(2));
