import type { RouteObject } from "react-router";
import InstrumentRoute from "./routes/instrument";
import InstrumentsRoute from "./routes/instruments";
import LoginRoute from "./routes/login";
import NotFoundRoute from "./routes/not-found";
import RootRoute from "./routes/root";

/** Paths must stay plain history routes: the server answers unknown non-/api paths with index.html. */
export const routes: RouteObject[] = [
  { path: "/login", element: <LoginRoute /> },
  {
    path: "/",
    element: <RootRoute />,
    children: [
      { index: true, element: <InstrumentsRoute /> },
      { path: "instruments/:instrumentId", element: <InstrumentRoute /> },
      { path: "*", element: <NotFoundRoute /> },
    ],
  },
];
