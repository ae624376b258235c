"""`/mcp`: the official MCP SDK's streamable-HTTP transport, served by a plain Django view.

The site stays a WSGI site (runserver in `make run`, gunicorn in production): each POST to /mcp is
handed, as one ASGI request, to a fresh stateless `StreamableHTTPSessionManager` in JSON-response mode
(no session, no server-sent stream: every tool here answers at once), and its answer becomes the
view's response. The SDK does the protocol (initialize, discovery, tools/list, tools/call, errors);
this module only bridges the request and runs the tools (`pricing_mcp.tools`) on the view's own
thread (`sync_to_async(thread_sensitive=True)` under `async_to_sync`), so they use the request's
database connection like any view.

Numbers: the SDK reads JSON numbers as floats; the API reads them as Decimal. So the view reads the
body once more with the API's reader (`api_input.parse_json_body`: size bound, Decimal numbers, NUL
and surrogate refusals) and a tool call gets those exact arguments.
"""

from __future__ import annotations

import contextvars
import json

import anyio
import mcp_types as types
from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from mcp.server import Server
from mcp.server.context import ServerRequestContext
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

from calculator.api_input import BadBody, parse_json_body
from pricing_mcp import tools
from pricing_site.ratelimit import client_key, hit, too_many

INSTRUCTIONS = (
    "WhatsApp Business Platform pricing under Meta's real rate cards. Use estimate for a monthly message mix "
    "(per market and category), replay for an exact timeline of messages, resolve_market to find a phone "
    "number's market, list_rate_cards and compare_rate_cards for Meta's price lists and what changed, and "
    "create_quote (needs an API key) to save a quote with a share link. Amounts are decimal strings in the "
    "answer's currency; a tool error lists each offending field with a message saying how to fix it."
)
_request: contextvars.ContextVar[HttpRequest] = contextvars.ContextVar("mcp_django_request")
_arguments: contextvars.ContextVar[dict | BadBody | None] = contextvars.ContextVar("mcp_exact_arguments")


def _tool(name: str) -> types.Tool:
    return types.Tool(name=name, description=tools.DESCRIPTIONS[name], input_schema=tools.SCHEMAS[name],
                      annotations=types.ToolAnnotations(read_only_hint=name in tools.READ_ONLY,
                                                        destructive_hint=False, open_world_hint=False))


TOOLS = [_tool(name) for name in tools.RUNNERS]


async def list_tools(ctx: ServerRequestContext, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
    return types.ListToolsResult(tools=TOOLS)


def _result(answer: dict, is_error: bool) -> types.CallToolResult:
    text = json.dumps(answer)
    return types.CallToolResult(content=[types.TextContent(text=text)], structured_content=answer, is_error=is_error)


async def call_tool(ctx: ServerRequestContext, params: types.CallToolRequestParams) -> types.CallToolResult:
    exact = _arguments.get(None)
    if isinstance(exact, BadBody):
        field = exact.field.removeprefix("params.arguments.")
        return _result({"errors": [{"field": field, "message": str(exact)}]}, True)
    arguments = exact if exact is not None else (params.arguments or {})
    answer, is_error = await sync_to_async(tools.run, thread_sensitive=True)(params.name, arguments, _request.get())
    return _result(answer, is_error)


SERVER = Server("whatsapp-pricing", version="1", instructions=INSTRUCTIONS,
                on_list_tools=list_tools, on_call_tool=call_tool)


def exact_arguments(content_type: str, body: bytes) -> dict | BadBody | None:
    """A tools/call's arguments read as the API reads a body (Decimal numbers), its refusal, or None."""
    try:
        message = parse_json_body(content_type, body)
    except BadBody as exc:
        return exc if b'"tools/call"' in body else None
    params = message.get("params")
    if message.get("method") != "tools/call" or not isinstance(params, dict):
        return None
    arguments = params.get("arguments")
    return arguments if isinstance(arguments, dict) else None


def _scope(request: HttpRequest) -> dict:
    headers = [(name.lower().encode("latin-1"), value.encode("latin-1", "replace"))
               for name, value in request.headers.items()]
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": request.method,
        "scheme": request.scheme, "path": request.path, "raw_path": request.path.encode(),
        "query_string": request.META.get("QUERY_STRING", "").encode("latin-1", "replace"), "root_path": "",
        "headers": headers, "client": (request.META.get("REMOTE_ADDR", ""), 0), "server": None,
    }


async def _serve(request: HttpRequest, body: bytes, arguments: dict | BadBody | None) -> tuple[int, list, bytes]:
    _request.set(request)
    _arguments.set(arguments)
    manager = StreamableHTTPSessionManager(app=SERVER, json_response=True, stateless=True,
                                           max_request_body_size=settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    delivered = anyio.Event()
    started: dict = {}
    chunks: list[bytes] = []

    async def receive() -> dict:
        if not delivered.is_set():
            delivered.set()
            return {"type": "http.request", "body": body, "more_body": False}
        await anyio.sleep_forever()  # the client stays connected until the answer is sent

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            started.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    async with manager.run():
        await manager.handle_request(_scope(request), receive, send)
    return started.get("status", 500), started.get("headers", []), b"".join(chunks)


@csrf_exempt  # no cookie is read: create_quote takes only an API key (Authorization: Bearer)
def endpoint(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":  # stateless: no session to delete, no stream of server-sent messages
        response = JsonResponse({"jsonrpc": "2.0", "id": None, "error": {
            "code": -32600, "message": f"use POST (not {request.method}): this server keeps no session or stream"}},
            status=405)
        response["Allow"] = "POST"
        return response
    retry_after = hit("api", client_key(request))
    if retry_after is not None:
        return too_many(request, retry_after)
    try:
        body = request.body
    except RequestDataTooBig:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        return JsonResponse({"jsonrpc": "2.0", "id": None,
                             "error": {"code": -32600, "message": f"the body is larger than {limit} MB"}}, status=413)
    arguments = exact_arguments(request.content_type or "", body)
    status, headers, content = async_to_sync(_serve)(request, body, arguments)
    response = HttpResponse(content, status=status)
    for name, value in headers:
        if name.lower() not in (b"content-length", b"transfer-encoding"):
            response[name.decode("latin-1")] = value.decode("latin-1")
    return response
