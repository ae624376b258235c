from django.urls import path

from pricing_mcp import server

urlpatterns = [
    path("mcp", server.endpoint, name="mcp"),
]
