// The grammar has one source, ../../grammar/pcl.tmLanguage.json; packaging the extension copies it.
import { copyFileSync, mkdirSync } from "node:fs";
mkdirSync(new URL("./syntaxes/", import.meta.url), { recursive: true });
copyFileSync(new URL("../../grammar/pcl.tmLanguage.json", import.meta.url), new URL("./syntaxes/pcl.tmLanguage.json", import.meta.url));
