// proxy-wasm filter statuses the callbacks return (FilterHeadersStatus / FilterDataStatus).

/** Continue: let the headers/data go on. */
// @ts-ignore: decorator
@inline export const CONTINUE: i32 = 0;
/** Headers: hold them (Envoy honours this with allow_on_headers_stop_iteration). */
// @ts-ignore: decorator
@inline export const STOP_ITERATION: i32 = 1;
/** Data: hold and buffer it until the filter continues (Envoy's buffer limit applies). */
// @ts-ignore: decorator
@inline export const STOP_AND_BUFFER: i32 = 1;
/** Data: consume it — nothing of this chunk goes on. */
// @ts-ignore: decorator
@inline export const STOP_NO_BUFFER: i32 = 3;
