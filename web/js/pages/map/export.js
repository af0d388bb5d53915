// Export a layer as GeoJSON or CSV in WGS84, CGCS2000, GCJ-02 (Amap, Tencent) or BD-09 (Baidu).

import { queryString } from "../../api.js";
import { t } from "../../i18n.js";
import { formDialog } from "../../ui/dialog.js";
import { Form } from "../../ui/form.js";

const LAYERS = ["communities", "shelters", "routes", "teams", "buildings", "pois"];
const CRS = ["EPSG:4326", "EPSG:4490", "GCJ-02", "BD-09"];

/** The download URL of a layer export. */
export function exportUrl(layer, format, crs) {
  return `/api/gis/layers/${layer}.${format}${queryString({ crs, download: "true" })}`;
}

/** Ask for a layer, a format and a coordinate system; start the download. */
export async function exportDialog() {
  const form = new Form({ columns: 1 });
  form.select("layer", t("map.export_layer"), LAYERS.map((x) => ({ value: x, label: t(`map.layer_${x}`) })));
  form.select("format", t("map.export_format"), [
    { value: "geojson", label: "GeoJSON" },
    { value: "csv", label: "CSV" },
  ]);
  form.select("crs", t("map.export_crs"), CRS.map((c) => ({ value: c, label: t(`map.crs_${c.replace(/[^A-Za-z0-9]/g, "")}`) })), {
    hint: t("map.export_crs_hint"),
  });
  return formDialog({
    title: t("map.export"),
    form,
    testid: "map-export-dialog",
    submitLabel: t("map.export_go"),
    onSubmit: (v) => {
      const a = document.createElement("a");
      a.href = exportUrl(v.layer, v.format, v.crs);
      a.download = "";
      a.dataset.testid = "map-export-link";
      document.body.append(a);
      a.click();
      a.remove();
      return a.href;
    },
  });
}
