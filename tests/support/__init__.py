"""Helpers the tests share (httpx's style: imported from here, never from conftest or from
another test module)."""
