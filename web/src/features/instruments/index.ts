export { InstrumentBoard } from "./InstrumentBoard";
export { InstrumentPage } from "./InstrumentPage";
export { InstrumentTile } from "./InstrumentTile";
export { OpenBadge } from "./OpenBadge";
export { instrumentKeys, useInstrument, useInstruments } from "./queries";
