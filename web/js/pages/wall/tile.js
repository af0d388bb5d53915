// One wall tile: a camera played by the first transport that works (WebRTC pass-through,
// MSE, WebRTC transcode, MJPEG; a small badge says which), the camera's last picture while it
// starts, a grey "last seen" face when it goes offline, and full screen that opens the main
// stream behind the tile and swaps only once it shows a picture. With a bundle (one
// connection for the wall) pass-through sub-streams come through it.

import { api } from "../../api.js";
import { h, replace } from "../../dom.js";
import { getLocale, t } from "../../i18n.js";
import { gathered, MjpegPlayer, MsePlayer, mseSupports, WebRtcPlayer } from "./players.js";

export { gathered };
export const RETRY_MS = [1000, 2000, 5000, 10000, 30000];
const STALL_MS = 4000; // no new frame for this long: the tile greys out
// What a camera stream needed last time ("id#stream" -> {mse, noMse}), so restarts go straight there.
const needs = new Map();

/** hh:mm:ss in the UI language. */
export function clock(ms) {
  return new Date(ms).toLocaleTimeString(getLocale(), { hour12: false });
}

/** Call `onFrame` for every frame the video presents (timeupdate where rVFC is missing). */
function watchFrames(video, onFrame) {
  let live = true;
  if (video.requestVideoFrameCallback) {
    const step = () => {
      if (!live) return;
      onFrame();
      video.requestVideoFrameCallback(step);
    };
    video.requestVideoFrameCallback(step);
    return () => (live = false);
  }
  video.addEventListener("timeupdate", onFrame);
  return () => video.removeEventListener("timeupdate", onFrame);
}

class Cancelled extends Error {}

export class Tile {
  constructor(index, onSelect, onFull, bundle = null) {
    this.index = index;
    this.bundle = bundle;
    this.active = false; // wants a stream (started and not stopped)
    this.camera = null;
    this.status = null;
    this.offlineSince = null;
    this.lastFrameAt = null;
    this.attempt = 0;
    this.timer = null;
    this.stream = "auto";
    this.offscreen = false;
    this.solo = false; // left the bundle: its camera needs MSE or a transcode
    this.sessions = [];
    this.screen = h("div", { class: "wall-screen" });
    this.front = this.#session(this.stream);
    this.video = this.front.video;
    this.label = h("span", { class: "wall-label" });
    this.badge = h("span", { class: "wall-badge" });
    this.via = h("span", { class: "wall-via", "data-testid": `wall-via-${index}` });
    this.note = h("span", { class: "wall-note" });
    this.el = h(
      "div",
      { class: "wall-tile", tabindex: "0", "data-testid": `wall-tile-${index}` },
      this.screen,
      h("div", { class: "wall-caption" }, this.label, h("span", {}, this.badge, " ", this.via)),
      this.note,
    );
    this.el.addEventListener("click", () => onSelect(this));
    this.el.addEventListener("dblclick", () => onFull(this));
  }

  #session(stream, back = false) {
    const video = h("video", { muted: true, autoplay: true, playsinline: true, class: back ? "wall-back" : "" });
    video.muted = true;
    const session = { video, stream, player: null, dead: false, run: 0 };
    session.unwatch = watchFrames(video, () => this.#frame(session));
    this.sessions.push(session);
    this.screen.append(video);
    return session;
  }

  #end(session) {
    session.dead = true;
    session.player?.stop();
    session.player = null;
    session.unwatch();
    this.sessions = this.sessions.filter((s) => s !== session);
  }

  #frame(session) {
    if (session.dead) return;
    this.lastFrameAt = Date.now();
    if (session !== this.front && session.player) this.#promote(session);
    if (session === this.front && this.el.dataset.state !== "playing" && this.active) {
      this.el.dataset.state = "playing";
      this.attempt = 0;
      replace(this.note, "");
    }
  }

  /** A session behind the tile showed its first picture: it becomes the tile's face. */
  #promote(session) {
    const old = this.front;
    this.front = session;
    this.video = session.video;
    session.video.classList.remove("wall-back");
    this.#end(old);
    old.video.remove();
    this.setVia(session.player.kind);
    if (this.bundle) this.bundle.schedule(); // a full-screen tile leaves (or rejoins) the group
  }

  setVia(kind) {
    this.el.dataset.transport = kind || "";
    replace(this.via, kind ? t(`wall.via.${kind}`) : "");
  }

  setStatus(status, reasons = [], since = null) {
    this.status = status;
    this.el.dataset.status = status || "";
    this.offlineSince = status === "offline" ? (since ? Date.parse(since) : Date.now()) : null;
    const text = status === "offline" || status === "degraded" ? t(`wall.status.${status}`) : "";
    const why = reasons.map((r) => t(`health.reason.${r}`)).join(" · ");
    replace(this.badge, text ? `${text}${why ? " · " + why : ""}` : "");
    this.#check();
    // Back online: try now rather than at the next back-off step (not while one is starting).
    const waiting = ["failed", "reconnecting", "offline", "stalled"].includes(this.el.dataset.state);
    if (status === "ok" && this.camera && !this.offscreen && waiting) this.start(true);
  }

  /** Grey the tile out when its camera is offline or its picture stopped. */
  #check() {
    if (!this.camera || !this.active) return;
    const fresh = this.lastFrameAt && Date.now() - this.lastFrameAt < STALL_MS;
    if (this.status === "offline" && !fresh) {
      this.el.dataset.state = "offline";
      if (this.lastFrameAt) replace(this.note, t("wall.last_seen", { time: clock(this.lastFrameAt) }));
      else replace(this.note, t("wall.offline_since", { time: clock(this.offlineSince || Date.now()) }));
    } else if (this.el.dataset.state === "playing" && !fresh && this.el.dataset.transport !== "mjpeg") {
      this.el.dataset.state = "stalled";
      replace(this.note, t("wall.stalled", { time: clock(this.lastFrameAt) }));
    }
  }

  /** Whether this tile's stream comes through the wall's shared connection. */
  bundled() {
    return Boolean(this.bundle) && this.stream !== "main" && !this.solo;
  }

  show(camera) {
    this.stop();
    this.camera = camera;
    this.solo = false;
    this.lastFrameAt = null;
    replace(this.label, camera ? `${camera.name} · ${camera.id}` : t("wall.empty"));
    this.el.dataset.camera = camera ? camera.id : "";
    if (camera) this.start(true);
  }

  /** Scrolled out of view: stop pulling video; back in view: resume. */
  setOffscreen(off) {
    if (off === this.offscreen) return;
    this.offscreen = off;
    if (off) {
      this.stop(false);
      this.el.dataset.state = this.camera ? "paused" : "";
      replace(this.note, this.camera ? t("wall.paused") : "");
    } else if (this.camera) this.start(true);
  }

  /** The camera's newest picture as the poster while the stream starts. */
  async #poster(video, stream) {
    const id = this.camera.id;
    try {
      const res = await fetch(`/api/live/${encodeURIComponent(id)}/poster.jpg?stream=${stream}`);
      if (!res.ok || this.camera?.id !== id || video.poster) return;
      const url = URL.createObjectURL(await res.blob());
      video.poster = url;
      video.addEventListener("emptied", () => URL.revokeObjectURL(url), { once: true });
      const at = Number(res.headers.get("X-Captured-At"));
      if (at && this.el.dataset.state === "connecting") {
        replace(this.note, t("wall.poster", { time: clock(at * 1000) }));
      }
    } catch {
      // no picture yet: the tile stays dark until the stream starts
    }
  }

  async start(reset = false) {
    if (!this.camera || this.offscreen) return;
    if (reset) this.attempt = 0;
    this.stop(false);
    this.active = true;
    this.el.dataset.state = "connecting";
    replace(this.note, t("wall.connecting"));
    clearInterval(this.checker);
    this.checker = setInterval(() => this.#check(), 1000);
    this.#poster(this.video, this.stream);
    if (this.bundled()) {
      this.setVia("webrtc");
      return this.bundle.schedule();
    }
    this.#run(this.front);
  }

  /** Switch stream (full screen: main); the current picture stays until the new one shows. */
  swap(stream) {
    this.stream = stream;
    if (!this.camera || this.offscreen) return;
    if (!this.active || this.bundled()) return this.start(true);
    this.sessions.filter((s) => s !== this.front).forEach((s) => {
      this.#end(s);
      s.video.remove();
    });
    this.#run(this.#session(stream, true));
  }

  async #attempt(session, run, player) {
    if (session.dead || session.run !== run) throw new Cancelled();
    session.player?.stop();
    session.player = player;
    player.onfail = (code) => this.#broken(session, code);
    player.onframe = () => this.#frame(session);
    try {
      await player.start();
    } catch (err) {
      if (session.dead || session.run !== run) throw new Cancelled();
      throw err;
    }
    if (session.dead || session.run !== run) throw new Cancelled();
    return player;
  }

  /** The transports in order until one plays. */
  async #play(session, run) {
    const cam = this.camera.id;
    const key = `${cam}#${session.stream}`;
    const known = needs.get(key);
    let mse = known?.mse || null;
    if (!known) {
      try {
        return await this.#attempt(session, run, new WebRtcPlayer(session.video, cam, session.stream));
      } catch (err) {
        // No type yet (parameter sets only in the stream): MSE asks the server itself.
        if (err.code === "needs_transcode") needs.set(key, { mse: (mse = err.mse || "probe") });
        else if (err.code !== "no_webrtc") throw err;
        else mse = "probe"; // no WebRTC here: ask the server what MSE type it sends
      }
    }
    if ((mse === "probe" || mseSupports(mse)) && !known?.noMse) {
      try {
        return await this.#attempt(session, run, new MsePlayer(session.video, cam, session.stream));
      } catch (err) {
        if (!err.next) throw err;
        needs.set(key, { ...needs.get(key), noMse: true });
      }
    }
    session.video.removeAttribute("src");
    try {
      const tx = new WebRtcPlayer(session.video, cam, session.stream, { transcode: true });
      return await this.#attempt(session, run, tx);
    } catch (err) {
      if (!err.next) throw err;
    }
    return this.#attempt(session, run, new MjpegPlayer(this.screen, cam));
  }

  async #run(session) {
    const run = ++session.run;
    try {
      const player = await this.#play(session, run);
      if (session === this.front) this.setVia(player.kind);
    } catch (err) {
      if (err instanceof Cancelled || session.dead) return;
      if (session !== this.front) {
        this.#end(session); // full screen could not open: keep what plays
        session.video.remove();
        replace(this.note, t("wall.failed", { reason: err.code || "error" }));
        return;
      }
      replace(this.note, t("wall.failed", { reason: err.code || "error" }));
      this.el.dataset.state = "failed";
      if (err.next !== false) this.retry();
    }
  }

  #broken(session, code) {
    if (session.dead) return;
    if (code === "decode") {
      const key = `${this.camera.id}#${session.stream}`;
      needs.set(key, { ...needs.get(key), noMse: true });
    }
    if (session === this.front) this.retry();
    else {
      this.#end(session);
      session.video.remove();
    }
  }

  /** The bundle refused this camera (it needs MSE or a transcode): play it alone. */
  leaveBundle(slot = null) {
    if (slot) needs.set(`${this.camera.id}#${this.stream}`, { mse: slot.mse || "probe" });
    this.solo = true;
    this.start(true);
  }

  retry() {
    clearTimeout(this.timer);
    this.el.dataset.state = "reconnecting";
    replace(this.note, t("wall.reconnecting"));
    const wait = RETRY_MS[Math.min(this.attempt, RETRY_MS.length - 1)];
    this.attempt += 1;
    this.timer = setTimeout(() => this.start(), wait);
  }

  /** Prewarm this tile's camera on the server (e.g. its main stream before full screen). */
  prewarm(stream, seconds = 30) {
    if (!this.camera) return;
    api("POST", "/api/live/prewarm", { body: { cameras: [this.camera.id], stream, seconds } }).catch(() => {});
  }

  stop(clear = true) {
    clearTimeout(this.timer);
    clearInterval(this.checker);
    for (const session of [...this.sessions]) {
      if (session === this.front) continue;
      this.#end(session);
      session.video.remove();
    }
    // The front video stays (with its last picture); what fed it stops.
    const front = this.front;
    front.run += 1;
    front.player?.stop();
    front.player = null;
    front.stream = this.stream;
    const video = front.video;
    if (this.active && this.bundle) this.bundle.schedule(); // leaves (or rejoins) the group
    this.active = false;
    if (clear) {
      video.srcObject = null;
      if (video.src) video.removeAttribute("src");
      video.removeAttribute("poster");
      video.load();
      this.setVia("");
      this.lastFrameAt = null;
    }
  }
}
