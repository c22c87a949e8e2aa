import { Outlet } from "react-router";
import { AppHeader } from "../components/AppHeader";
import { RequireAuth } from "../features/auth";

/** Layout of every signed-in page. */
export default function RootRoute() {
  return (
    <RequireAuth>
      <AppHeader />
      <main className="app-main">
        <Outlet />
      </main>
    </RequireAuth>
  );
}
