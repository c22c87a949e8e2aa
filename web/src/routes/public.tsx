import { Outlet } from "react-router";
import { AppHeader } from "../components/AppHeader";
import { OptionalAuth } from "../features/auth";

/** Layout of the pages open to visitors without an account (the catalogue). */
export default function PublicRoute() {
  return (
    <OptionalAuth>
      <AppHeader />
      <main className="app-main">
        <Outlet />
      </main>
    </OptionalAuth>
  );
}
