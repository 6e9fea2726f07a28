/** Code-point order, shared with everything outside the front end (src/code-point-order.ts). */
export { codePointCompare } from "../code-point-order.js";
