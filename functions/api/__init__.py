"""The HTTP edge: request/response schemas (pydantic), body parsing, the OpenAPI document.

Imported only by handlers that need it, never at cold start: pydantic is not on the redirect path.
"""
