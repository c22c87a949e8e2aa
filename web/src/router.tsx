import type { RouteObject } from "react-router";
import BoardRoute from "./routes/board";
import BookingSessionRoute from "./routes/booking-session";
import BookingsRoute from "./routes/bookings";
import CatalogueRoute from "./routes/catalogue";
import CatalogueInstrumentRoute from "./routes/catalogue-instrument";
import ComplaintsRoute from "./routes/complaints";
import CreditRoute from "./routes/credit";
import EvaluationRoute from "./routes/evaluation";
import GatewaysRoute from "./routes/gateways";
import InspectionRoute from "./routes/inspection";
import InstrumentRoute from "./routes/instrument";
import InstrumentEditRoute from "./routes/instrument-edit";
import InstrumentImportRoute from "./routes/instrument-import";
import InstrumentNewRoute from "./routes/instrument-new";
import InstrumentsRoute from "./routes/instruments";
import InvitationsRoute from "./routes/invitations";
import InviteRoute from "./routes/invite";
import LoginRoute from "./routes/login";
import ManageInstrumentRoute from "./routes/manage-instrument";
import NotFoundRoute from "./routes/not-found";
import NotificationPreferencesRoute from "./routes/notification-preferences";
import ProficiencyRoute from "./routes/proficiency";
import PublicRoute from "./routes/public";
import RegisterRoute from "./routes/register";
import RegistrationsRoute from "./routes/registrations";
import RootRoute from "./routes/root";
import StatementsRoute from "./routes/statements";
import TodayRoute from "./routes/today";

/** Paths must stay plain history routes: the server answers unknown non-/api paths with index.html. */
export const routes: RouteObject[] = [
  { path: "/login", element: <LoginRoute /> },
  // Enterprises find instruments before they have an account; everything else needs a login.
  {
    path: "/catalogue",
    element: <PublicRoute />,
    children: [
      { index: true, element: <CatalogueRoute /> },
      // An instrument's public page: fees, hours, calibration, free slots; bookmarkable.
      { path: "instruments/:instrumentId", element: <CatalogueInstrumentRoute /> },
    ],
  },
  // Enterprises register themselves; invited colleagues join by link.
  { path: "/register", element: <PublicRoute />, children: [{ index: true, element: <RegisterRoute /> }] },
  { path: "/invite/:token", element: <PublicRoute />, children: [{ index: true, element: <InviteRoute /> }] },
  {
    path: "/",
    element: <RootRoute />,
    children: [
      { index: true, element: <InstrumentsRoute /> },
      { path: "instruments/new", element: <InstrumentNewRoute /> },
      { path: "instruments/import", element: <InstrumentImportRoute /> },
      { path: "instruments/:instrumentId", element: <InstrumentRoute /> },
      { path: "instruments/:instrumentId/edit", element: <InstrumentEditRoute /> },
      { path: "instruments/:instrumentId/manage", element: <ManageInstrumentRoute /> },
      { path: "board", element: <BoardRoute /> },
      { path: "board/:labId", element: <BoardRoute /> },
      { path: "gateways", element: <GatewaysRoute /> },
      { path: "inspection", element: <InspectionRoute /> },
      { path: "bookings", element: <BookingsRoute /> },
      { path: "bookings/:bookingId", element: <BookingSessionRoute /> },
      { path: "today", element: <TodayRoute /> },
      { path: "statements", element: <StatementsRoute /> },
      { path: "evaluation", element: <EvaluationRoute /> },
      { path: "complaints", element: <ComplaintsRoute /> },
      { path: "credit", element: <CreditRoute /> },
      { path: "proficiency", element: <ProficiencyRoute /> },
      { path: "registrations", element: <RegistrationsRoute /> },
      { path: "invitations", element: <InvitationsRoute /> },
      { path: "notifications/preferences", element: <NotificationPreferencesRoute /> },
      { path: "*", element: <NotFoundRoute /> },
    ],
  },
];
