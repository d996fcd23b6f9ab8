"""The API's documentation as a plain HTML page of its own, from the OpenAPI schema.

FastAPI's /docs loads Swagger UI from a CDN, which is blank on a clinic network without the
internet, and no package with the Swagger or ReDoc assets is locked; so ``/docs`` is this
page (templates/web/api.html.j2) and ``/openapi.json`` the schema itself, for tools.
"""

from __future__ import annotations

from typing import Any

from leafletgen.serve.page import _environment
from leafletgen.serve.pool import Catalogue


def _type(schema: dict[str, Any]) -> str:
    """A schema as a short type: ``string``, ``"a4" | "letter"``, ``Item[]``, ``string | null``."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "enum" in schema:
        return " | ".join(f'"{v}"' for v in schema["enum"])
    if "anyOf" in schema:
        return " | ".join(_type(s) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return _type(schema.get("items", {})) + "[]"
    return str(schema.get("type", "any"))


def _limits(schema: dict[str, Any]) -> str:
    parts = []
    for key, text in (("minLength", "at least {} characters"), ("maxLength", "at most {} characters"),
                      ("minItems", "at least {} items"), ("maxItems", "at most {} items")):
        if key in schema:
            parts.append(text.format(schema[key]))
    for option in schema.get("anyOf", []):
        if option.get("maxLength"):
            parts.append(f"at most {option['maxLength']} characters")
    if "default" in schema:
        parts.append(f"default {schema['default']!r}".replace("None", "null").replace("False", "false"))
    return ", ".join(parts)


def context(schema: dict[str, Any]) -> dict[str, Any]:
    operations = []
    for path, methods in schema.get("paths", {}).items():
        for method, operation in methods.items():
            parameters = [{"name": p["name"], "in": p["in"], "required": p.get("required", False),
                           "type": _type(p.get("schema", {})), "limits": _limits(p.get("schema", {})),
                           "description": p.get("description") or p.get("schema", {}).get("description", "")}
                          for p in operation.get("parameters", [])]
            body = operation.get("requestBody", {}).get("content", {})
            responses = [{"status": status, "description": answer.get("description", ""),
                          "types": ", ".join(answer.get("content", {}))}
                         for status, answer in operation.get("responses", {}).items()]
            operations.append({"method": method.upper(), "path": path, "summary": operation.get("summary", ""),
                               "description": operation.get("description", ""), "parameters": parameters,
                               "body": [f"{kind}: {_type(c.get('schema', {}))}" for kind, c in body.items()],
                               "responses": responses,
                               "id": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", "")})
    schemas = []
    for name, model in schema.get("components", {}).get("schemas", {}).items():
        required = set(model.get("required", []))
        fields = [{"name": key, "type": _type(prop), "required": key in required, "limits": _limits(prop),
                   "description": prop.get("description", "")}
                  for key, prop in model.get("properties", {}).items()]
        schemas.append({"name": name, "description": model.get("description", ""), "fields": fields})
    info = {key: schema.get("info", {}).get(key, "") for key in ("title", "version", "summary", "description")}
    return {"info": info, "operations": operations, "schemas": schemas}


def render(catalogue: Catalogue, schema: dict[str, Any]) -> str:
    env = _environment(catalogue.project.templates_dir / "web")
    return env.get_template("api.html.j2").render(**context(schema))
