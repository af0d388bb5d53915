// Public holiday names in the UI language. The server sends a holiday as it finds it in its data
// ("春节 Spring Festival", "Spring Festival", "春节" or a code such as "spring_festival"); the
// catalogue has holiday.<code> for China's statutory holidays.

import { getLocale, has, t } from "../i18n.js";

const CJK = /[\u3400-\u9fff]/;
// Chinese names (full and short forms) of the statutory holidays.
const CHINESE = {
  元旦: "new_years_day",
  春节: "spring_festival",
  清明: "qingming_festival",
  清明节: "qingming_festival",
  劳动节: "labour_day",
  端午: "dragon_boat_festival",
  端午节: "dragon_boat_festival",
  中秋: "mid_autumn_festival",
  中秋节: "mid_autumn_festival",
  国庆: "national_day",
  国庆节: "national_day",
};
// Other English spellings in common holiday data sets.
const ALIASES = {
  tomb_sweeping_day: "qingming_festival",
  ching_ming_festival: "qingming_festival",
  labor_day: "labour_day",
  chinese_new_year: "spring_festival",
  chinese_new_years_day: "spring_festival",
};

/** The catalogue code of an English holiday name: "New Year's Day" -> "new_years_day". */
export function holidayCode(name) {
  const code = String(name || "")
    .toLowerCase()
    .replace(/['’]/g, "")
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  return ALIASES[code] || code;
}

function parts(name) {
  const words = String(name || "").trim().split(/\s+/);
  const zh = words.filter((w) => CJK.test(w)).join("");
  const en = words.filter((w) => !CJK.test(w)).join(" ");
  return { zh, en };
}

/** A holiday's name in the UI language; an unknown one shows the part in that language. */
export function holidayName(name) {
  const { zh, en } = parts(name);
  for (const code of [CHINESE[zh], en && holidayCode(en)]) {
    if (code && has(`holiday.${code}`)) return t(`holiday.${code}`);
  }
  if (getLocale() === "zh-CN") return zh || en;
  return en || zh;
}
