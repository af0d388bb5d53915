// A readiness component's inputs in plain words, in the UI language: "279 standard kits of 300
// needed (93 %)" instead of {"standard":279,...}. Inputs the sentences do not know yet are listed
// with their catalogue label (readiness.in.<name>) so nothing is shown as a raw key.

import { getLocale, has, t } from "../../i18n.js";

export const KIT_CATEGORIES = ["standard", "elderly", "infant", "disabled"];
// The inputs each component's sentences cover (the rest are listed one per line).
const COVERED = {
  shelter_capacity: [
    "allocated_capacity",
    "allocated_area_m2",
    "area_per_resident_m2",
    "area_target_m2",
    "places_target_per_resident",
    "shelters_in_reach",
    "population",
  ],
  shelter_reach: ["reach_share", "walk_share", "walk_radius_m", "nearest_shelter_m"],
  kits: ["households", "delivered", "target", "coverage"],
  drills: ["last_drill", "drills_12m", "open_actions", "overdue_actions", "target"],
  teams: ["volunteers", "teams", "population", "target"],
  camera_coverage: [
    "shelters_in_reach",
    "shelters_watched",
    "shelter_share",
    "route_m",
    "route_watched_m",
    "route_share",
  ],
  building_safety: ["surveyed", "unsafe", "zero_at"],
};

/** An ISO date ("2026-03-14") as a date in the UI language. */
function dateText(iso) {
  const day = new Date(`${String(iso).slice(0, 10)}T00:00:00`);
  if (Number.isNaN(day.getTime())) return String(iso);
  return new Intl.DateTimeFormat(getLocale(), { year: "numeric", month: "long", day: "numeric" }).format(day);
}

const known = (v) => v !== null && v !== undefined && !(typeof v === "number" && !Number.isFinite(v));

/** A number in the UI locale with at most `digits` decimals. */
export function num(value, digits = 0) {
  return new Intl.NumberFormat(getLocale(), { maximumFractionDigits: digits }).format(Number(value));
}

/** A 0..1 share as a whole percentage ("93 %"). */
export function pct(share) {
  return t("readiness.w.pct", { n: num(Number(share) * 100) });
}

/** Metres as "850 m" or "2.4 km". */
export function metres(m) {
  return Number(m) >= 1000 ? t("readiness.w.km", { n: num(Number(m) / 1000, 1) }) : t("readiness.w.m", { n: num(m) });
}

function shelterCapacity(i) {
  const out = [];
  if (known(i.allocated_capacity) && known(i.population)) {
    out.push(t("readiness.w.capacity_places", { places: num(i.allocated_capacity), shelters: num(i.shelters_in_reach ?? 0), population: num(i.population) }));
  }
  if (known(i.allocated_capacity) && Number(i.population) > 0 && known(i.places_target_per_resident)) {
    out.push(t("readiness.w.capacity_ratio", { ratio: num(i.allocated_capacity / i.population, 2), target: num(i.places_target_per_resident, 2) }));
  }
  if (known(i.allocated_area_m2)) {
    out.push(t("readiness.w.capacity_area", { area: num(i.allocated_area_m2), per: known(i.area_per_resident_m2) ? num(i.area_per_resident_m2, 2) : "—", target: num(i.area_target_m2 ?? 0, 2) }));
  }
  return out;
}

function shelterReach(i) {
  const out = [];
  if (known(i.reach_share)) out.push(t("readiness.w.reach_service", { pct: pct(i.reach_share) }));
  if (known(i.walk_share)) out.push(t("readiness.w.reach_walk", { pct: pct(i.walk_share), radius: metres(i.walk_radius_m ?? 0) }));
  if (known(i.nearest_shelter_m)) out.push(t("readiness.w.reach_nearest", { distance: metres(i.nearest_shelter_m) }));
  return out;
}

/** "279 standard kits, 40 for the elderly, 12 for infants, 5 for people with disabilities". */
export function kitList(counts, categories = KIT_CATEGORIES) {
  return categories
    .filter((c) => known(counts?.[c]))
    .map((c) => t(`readiness.w.kit_${c}`, { n: num(counts[c], 1) }))
    .join(t("readiness.w.list_sep"));
}

function kits(i) {
  const out = [];
  if (known(i.households)) out.push(t("readiness.w.kits_households", { n: num(i.households) }));
  // Kinds nobody needs and nobody received are left out ("0 for infants" says nothing).
  const kinds = KIT_CATEGORIES.filter((c) => Number(i.delivered?.[c]) > 0 || Number(i.target?.[c]) > 0);
  if (i.delivered) out.push(t("readiness.w.kits_delivered", { list: kitList(i.delivered, kinds) || t("readiness.w.none") }));
  if (i.target) out.push(t("readiness.w.kits_needed", { list: kitList(i.target, kinds) || t("readiness.w.none") }));
  const cov = KIT_CATEGORIES.filter((c) => known(i.coverage?.[c]));
  if (cov.length) {
    const list = cov.map((c) => t("readiness.w.kits_cov_item", { kind: t(`readiness.w.kind_${c}`), pct: pct(i.coverage[c]) }));
    out.push(t("readiness.w.kits_coverage", { list: list.join(t("readiness.w.list_sep")) }));
  }
  return out;
}

function drills(i) {
  const out = [];
  if (known(i.drills_12m)) out.push(t("readiness.w.drills_held", { n: num(i.drills_12m), target: num(i.target ?? 0, 1) }));
  else out.push(t("readiness.w.drills_none_known"));
  out.push(i.last_drill ? t("readiness.w.drills_last", { date: dateText(i.last_drill) }) : t("readiness.w.drills_never"));
  if (Number(i.open_actions) > 0) out.push(t("readiness.w.drills_actions", { open: num(i.open_actions), overdue: num(i.overdue_actions ?? 0) }));
  else if (known(i.open_actions)) out.push(t("readiness.w.drills_no_actions"));
  return out;
}

function teams(i) {
  const out = [t("readiness.w.teams_people", { volunteers: num(i.volunteers ?? 0), teams: num(i.teams ?? 0) })];
  if (Number(i.population) > 0) {
    out.push(t("readiness.w.teams_rate", { rate: num((i.volunteers * 1000) / i.population, 1), population: num(i.population), target: num(i.target ?? 0, 1) }));
  }
  return out;
}

function cameraCoverage(i) {
  const out = [];
  if (Number(i.shelters_in_reach) > 0) {
    out.push(t("readiness.w.cams_shelters", { watched: num(i.shelters_watched ?? 0), shelters: num(i.shelters_in_reach), pct: pct(i.shelter_share ?? 0) }));
  } else out.push(t("readiness.w.cams_no_shelters"));
  if (Number(i.route_m) > 0) {
    out.push(t("readiness.w.cams_routes", { watched: metres(i.route_watched_m ?? 0), length: metres(i.route_m), pct: pct(i.route_share ?? 0) }));
  } else out.push(t("readiness.w.cams_no_routes"));
  return out;
}

function buildingSafety(i) {
  if (!(Number(i.surveyed) > 0)) return [t("readiness.w.buildings_none")];
  return [
    t("readiness.w.buildings_unsafe", { unsafe: num(i.unsafe ?? 0), surveyed: num(i.surveyed), pct: pct((i.unsafe ?? 0) / i.surveyed) }),
    t("readiness.w.buildings_zero", { pct: pct(i.zero_at ?? 0) }),
  ];
}

const SENTENCES = {
  shelter_capacity: shelterCapacity,
  shelter_reach: shelterReach,
  kits,
  drills,
  teams,
  camera_coverage: cameraCoverage,
  building_safety: buildingSafety,
};

/** A label for an input name ("nearest_shelter_m" -> its catalogue label, else spaced words). */
export function inputLabel(name) {
  return has(`readiness.in.${name}`) ? t(`readiness.in.${name}`) : String(name).replaceAll("_", " ");
}

/** An input value in words: numbers in the locale, shares as percentages, lists joined. */
export function inputValue(value) {
  if (!known(value)) return "—";
  if (typeof value === "number") return num(value, 2);
  if (typeof value === "boolean") return t(value ? "readiness.w.yes" : "readiness.w.no");
  if (Array.isArray(value)) return value.map(inputValue).join(t("readiness.w.list_sep"));
  if (typeof value === "object") {
    return Object.entries(value)
      .map(([k, v]) => `${inputLabel(k)} ${inputValue(v)}`)
      .join(t("readiness.w.list_sep"));
  }
  return String(value);
}

/** Sentences describing a component's inputs ({score, value, inputs} from the API). */
export function componentSentences(name, comp) {
  const inputs = comp?.inputs || {};
  const build = SENTENCES[name];
  const out = build ? build(inputs) : [];
  const covered = new Set(COVERED[name] || []);
  for (const [k, v] of Object.entries(inputs)) {
    if (!covered.has(k)) out.push(`${inputLabel(k)}: ${inputValue(v)}`);
  }
  return out;
}

/** A short summary of the component's value ("72 % of residents"), "" when it has no data. */
export function componentSummary(name, comp) {
  const v = comp?.value;
  if (!known(v)) return "";
  switch (name) {
    case "shelter_capacity":
      return t("readiness.w.sum_capacity", { pct: pct(v) });
    case "shelter_reach":
      return t("readiness.w.sum_reach", { pct: pct(v) });
    case "kits":
      return t("readiness.w.sum_kits", { pct: pct(v) });
    case "drills":
      return t("readiness.w.sum_drills", { n: num(v) });
    case "teams":
      return t("readiness.w.sum_teams", { rate: num(v, 1) });
    case "camera_coverage":
      return t("readiness.w.sum_cameras", { pct: pct(v) });
    case "building_safety":
      return t("readiness.w.sum_buildings", { pct: pct(v) });
    default:
      return inputValue(v);
  }
}
