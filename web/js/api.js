// fetch wrapper: same-origin cookies, CSRF header on writes, RFC 9457 problem documents as errors.

import { has, t } from "./i18n.js";

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
let csrfToken = null;
const unauthenticatedHandlers = new Set();
let reauthenticate = null;

/** An API failure: HTTP status plus the problem document the server sent. */
export class ApiError extends Error {
  constructor(status, problem = {}, retryAfter = null) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
    this.retryAfter = retryAfter;
  }

  /** The problem's short code: the last path segment of its `type` URI. */
  get code() {
    const type = this.problem.type || "";
    return type.split("/").filter(Boolean).pop() || "";
  }

  /** Field errors as [{loc, msg, type}] (422, and 409 when the server names the field). */
  get fieldErrors() {
    return Array.isArray(this.problem.errors) ? this.problem.errors : [];
  }
}

/** Remember the CSRF token returned by login/session. */
export function setCsrfToken(token) {
  csrfToken = token || null;
}

/** Call `fn()` when an API call answers 401 (the session expired or was revoked). */
export function onUnauthenticated(fn) {
  unauthenticatedHandlers.add(fn);
  return () => unauthenticatedHandlers.delete(fn);
}

/**
 * Let the user sign in again when a call answers 401: `fn(error)` resolves true once signed in
 * (the call is then sent again, with the new CSRF token) or false to give up (the 401 handlers
 * run). Returns a function that removes it.
 */
export function setReauthenticator(fn) {
  reauthenticate = fn;
  return () => {
    if (reauthenticate === fn) reauthenticate = null;
  };
}

/** Build a query string from an object, skipping empty values. */
export function queryString(params = {}) {
  const qs = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") qs.set(key, String(value));
  }
  const text = qs.toString();
  return text ? `?${text}` : "";
}

async function readProblem(response) {
  const type = response.headers.get("content-type") || "";
  if (type.includes("json")) {
    try {
      return await response.json();
    } catch {
      // fall through to a generic problem
    }
  }
  return { status: response.status, title: response.statusText };
}

/**
 * Call the API. Returns parsed JSON (or null for 204). Throws ApiError.
 * options: body (JSON-encoded), or raw (a File/Blob sent as it is, with contentType), query
 * (object), signal, quiet401 (do not fire the handlers), headers (extra request headers, e.g.
 * If-Match).
 */
export async function api(method, path, options = {}) {
  const { body, raw, contentType, query, signal, quiet401 = false, headers: extra } = options;
  method = method.toUpperCase();
  const headers = { Accept: "application/json, application/problem+json", ...extra };
  if (raw !== undefined) headers["Content-Type"] = contentType || raw.type || "application/octet-stream";
  else if (body !== undefined) headers["Content-Type"] = "application/json";
  if (UNSAFE.has(method) && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let response;
  try {
    response = await fetch(path + queryString(query), {
      method,
      headers,
      body: raw !== undefined ? raw : body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      signal,
    });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, { code: "network", detail: t("error.network") });
  }
  if (response.status === 204) return null;
  if (!response.ok) {
    const problem = await readProblem(response);
    const retry = Number.parseInt(response.headers.get("Retry-After") || "", 10);
    const error = new ApiError(response.status, problem, Number.isFinite(retry) ? retry : null);
    if (response.status === 401 && !quiet401) {
      // Keep the page (and what the user typed): sign in over it, then send the call again.
      if (reauthenticate && !options.retried && (await reauthenticate(error))) {
        return api(method, path, { ...options, retried: true });
      }
      for (const fn of unauthenticatedHandlers) fn(error);
    }
    throw error;
  }
  const type = response.headers.get("content-type") || "";
  return type.includes("json") ? response.json() : response.text();
}

/** A message for the user in the UI language: a translated problem code, else the detail. */
export function problemMessage(error) {
  if (!(error instanceof ApiError)) return t("error.unexpected");
  if (error.status === 0) return t("error.network");
  const code = error.code;
  const params = { seconds: error.retryAfter ?? error.problem.retry_after ?? "?" };
  if (code && has(`problem.${code}`)) return t(`problem.${code}`, params);
  if (has(`error.http_${error.status}`)) return t(`error.http_${error.status}`, params);
  return error.problem.detail || error.problem.title || t("error.unexpected");
}

/** A field error message in the UI language (by pydantic error type when we know it). */
export function fieldMessage(err) {
  const key = `validation.${err.type}`;
  return err.type && has(key) ? t(key, err) : err.msg || t("validation.invalid");
}

/** The form field a problem location such as "body.roles[0]" refers to ("roles"). */
export function fieldOf(loc) {
  const parts = String(loc || "")
    .replace(/\[\d+\]/g, "")
    .split(".")
    .filter(Boolean);
  if (parts[0] === "body" || parts[0] === "query" || parts[0] === "path") parts.shift();
  return parts[0] || "";
}
