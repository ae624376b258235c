"""Cutting a webhook file into records: one per line, one per element of a JSON array, or one document.

Pure Python (no Django). Reads a binary stream (gzip or not) a bounded piece at a time, so memory stays
flat whatever the file's size; `usage.webhooks` parses each record.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
from array import array
from typing import BinaryIO, Iterator

import msgspec

from calculator.engine.limits import (MAX_DOCUMENT, MAX_DOCUMENT_LINES, MAX_ELEMENT, MAX_LEADING_BLANK,
                                      MAX_LINE)

from .webhooks import NOT_WEBHOOKS, NotWebhooks

CHUNK = 1024 * 1024
BLANK = b"\xef\xbb\xbf \t\r\n"  # stripped around records; a UTF-8 byte order mark counts as blank
_is_json = msgspec.json.Decoder(msgspec.Raw).decode


# --- Cutting a stream into records

def open_stream(handle: BinaryIO) -> BinaryIO:
    """The stream to read, uncompressed when it is gzip."""
    if hasattr(handle, "peek"):
        head = handle.peek(2)[:2]
    elif handle.seekable():
        head = handle.read(2)
        handle.seek(-len(head), io.SEEK_CUR)
    else:
        head = b""
    if head == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=handle)
    return handle


LONG_LINE = f"longer than {MAX_LINE // 2**20} MB: not a webhook envelope (skipped without being read)"


def _lines(stream: BinaryIO) -> Iterator[bytes | str]:
    """The stream's lines, each at most MAX_LINE bytes; a longer one is read through in chunks (never
    held whole) and comes out as a str saying why it was skipped."""
    readline = stream.readline
    limit = MAX_LINE + 1
    while True:
        line = readline(limit)
        if not line:
            return
        if len(line) == limit and not line.endswith(b"\n"):
            while True:
                rest = readline(CHUNK)
                if not rest or rest.endswith(b"\n"):
                    break
            yield LONG_LINE
            continue
        yield line


def read_records(stream: BinaryIO) -> Iterator[tuple[int, bytes | str]]:
    """(line number, record) per record; a record that is a `str` is a problem found while cutting.

    One JSON envelope a line (blank lines come through as they are: the reader of a record counts
    them); or one JSON array of envelopes (element by element, never the whole array in memory); or a
    single JSON document spread over lines (Meta's analytics response). No line is longer than
    MAX_LINE, and at most MAX_LEADING_BLANK blank lines may come before the first record.
    """
    number = 0
    while True:
        first = stream.readline(MAX_LINE + 1)
        if not first:
            return iter(())
        number += 1
        if first.strip(BLANK):
            break
        if number >= MAX_LEADING_BLANK:
            raise NotWebhooks(f"{NOT_WEBHOOKS} (its first {MAX_LEADING_BLANK:,} lines are blank)")
    stripped = first.lstrip(BLANK)
    if stripped.startswith(b"["):  # one array, perhaps on one long line: read in chunks from here
        return _array_records(number, first, stream)
    lines = _lines(stream)
    if len(first) == MAX_LINE + 1 and not first.endswith(b"\n"):
        while True:
            rest = stream.readline(CHUNK)
            if not rest or rest.endswith(b"\n"):
                break
        return _numbered(number, LONG_LINE, lines)
    if stripped.startswith(b"{") and not _complete(stripped):
        return _document_or_lines(number, first, lines)
    return _numbered(number, stripped, lines)


def _numbered(number: int, first: bytes | str, lines: Iterator[bytes | str]) -> Iterator[tuple[int, bytes | str]]:
    yield number, first
    yield from enumerate(lines, number + 1)


def _complete(text: bytes) -> bool:
    """Whether the bytes are exactly one JSON value."""
    try:
        _is_json(text.strip())
        return True
    except (msgspec.DecodeError, RecursionError):
        return False


def _document_or_lines(number: int, first: bytes, lines: Iterator[bytes | str]) -> Iterator[tuple[int, bytes | str]]:
    """A JSON document over several lines: read whole (up to MAX_DOCUMENT bytes and MAX_DOCUMENT_LINES
    lines, in one buffer); if it is not one document, its lines one by one, then the rest of the file."""
    buf = bytearray(first)
    ends = array("Q", [len(buf)])  # where each line ends in buf: 8 bytes a line, not a bytes object
    pending: bytes | str | None = None
    for line in lines:
        if type(line) is str or len(buf) + len(line) > MAX_DOCUMENT or len(ends) >= MAX_DOCUMENT_LINES:
            pending = line
            break
        buf += line
        ends.append(len(buf))
    else:
        document = bytes(buf).strip(BLANK)
        if _complete(document):
            yield number, document
            return
        del document
    start = 0
    for offset, end in enumerate(ends):
        yield number + offset, bytes(buf[start:end])
        start = end
    number += len(ends)
    del buf, ends
    if pending is not None:
        yield number, pending
        number += 1
    yield from enumerate(lines, number)


def _array_records(number: int, first: bytes, stream: BinaryIO) -> Iterator[tuple[int, bytes | str]]:
    """Elements of one JSON array, by an incremental decoder over a text buffer.

    An element alone on its line (the usual layout) is checked by msgspec and passed on as it is; any
    other layout goes through `json.JSONDecoder.raw_decode`, which finds where the element ends. A broken
    element is reported with its line and skipped up to the next line that starts an object.
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    raw_decode = json.JSONDecoder().raw_decode
    buf = decoder.decode(first).lstrip("\ufeff \t\r\n")[1:]  # after "["
    line = number
    pos = 0
    base = 0  # where buf starts in the whole text: the positions below are kept in it
    eof = False
    closed = False
    newline_at = -1  # the next newline found at or after pos, or -1
    searched_to = 0  # no newline between pos and here: never searched twice (an array on one line)
    shared_line = -1  # a line found to hold more than one element: only raw_decode there

    def more() -> bool:
        nonlocal buf, pos, eof, base
        if eof:
            return False
        chunk = stream.read(CHUNK)
        base += pos
        if not chunk:
            eof = True
            buf = buf[pos:] + decoder.decode(b"", final=True)
            pos = 0
            return False
        buf = buf[pos:] + decoder.decode(chunk)
        pos = 0
        return True

    def next_newline() -> int:
        """Where the line at pos ends in buf (-1: not within buf), each character searched once."""
        nonlocal newline_at, searched_to
        if newline_at >= base + pos:
            return newline_at - base
        found = buf.find("\n", max(pos, searched_to - base))
        if found == -1:
            searched_to = base + len(buf)
            return -1
        newline_at = base + found
        return found

    while True:
        # Skip whitespace and the commas between elements, counting lines.
        while True:
            n = len(buf)
            while pos < n and buf[pos] in " \t\r\n,":
                if buf[pos] == "\n":
                    line += 1
                pos += 1
            if pos < n or not more():
                break
        if pos >= len(buf):
            if not closed:
                yield line, "the JSON array is not closed with ]"
            return
        if buf[pos] == "]":
            closed = True
            pos += 1
            rest = buf[pos:].strip()
            while rest == "" and more():
                rest = buf[pos:].strip()
            if rest:
                yield line, "text after the end of the JSON array"
            return
        end = next_newline()
        while end == -1 and len(buf) - pos < MAX_ELEMENT and more():
            end = next_newline()
        # The usual layout, one element a line: checked whole by msgspec. A line found to hold several
        # elements (or none whole) is not tried again: each element would cost the line's length.
        if end != -1 and end - pos <= MAX_ELEMENT and base + end != shared_line:
            candidate = buf[pos:end].rstrip()
            if candidate.endswith(","):
                candidate = candidate[:-1].rstrip()
            if candidate.endswith("]") and candidate[:-1].rstrip().endswith("}"):
                candidate = candidate[:-1].rstrip()  # the last element, with the array's "]" on its line
            element = candidate.encode("utf-8")
            if element.startswith(b"{") and _complete(element):
                yield line, element
                pos += len(candidate)
                continue
            shared_line = base + end
        try:
            value, stop = raw_decode(buf, pos)
        except RecursionError:
            yield line, "JSON nested too deeply to be a webhook envelope"
            resync = _next_object_line(buf, pos + 1)
            line += buf.count("\n", pos, resync)
            pos = resync
            continue
        except json.JSONDecodeError as exc:
            if not eof and len(buf) - pos < MAX_ELEMENT:
                more()  # perhaps the element goes on in the next chunk: try again with it
                continue
            yield line + buf.count("\n", pos, max(exc.pos, pos)), f"JSON is malformed: {exc.msg}"
            resync = _next_object_line(buf, pos + 1)
            line += buf.count("\n", pos, resync)
            pos = resync
            continue
        yield line, json.dumps(value).encode("utf-8")
        line += buf.count("\n", pos, stop)
        pos = stop


def _next_object_line(buf: str, start: int) -> int:
    """Where the next line that starts an object begins (or the end of the buffer)."""
    at = start
    while True:
        newline = buf.find("\n", at)
        if newline == -1:
            return len(buf)
        following = buf[newline + 1:newline + 200].lstrip(" \t,")
        if following.startswith("{"):
            return newline + 1
        at = newline + 1
