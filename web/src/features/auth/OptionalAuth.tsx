import { useQueryClient } from "@tanstack/react-query";
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { useApi } from "../../api";

const SignedInContext = createContext<boolean | null>(null);

/**
 * Whether requests go out with a token. Inside <OptionalAuth> this follows a refused token at
 * once; elsewhere the token store decides (under <RequireAuth> that means signed in).
 */
export function useSignedIn(): boolean {
  const api = useApi();
  const signedIn = useContext(SignedInContext);
  return signedIn ?? api.isAuthenticated();
}

/**
 * Layout guard of the public pages: visitors and signed-in users both get the children. A 401
 * (an expired token, say) must not send a visitor to /login here: the client has already dropped
 * the token, so the page carries on as anonymous and asks the server again.
 */
export function OptionalAuth({ children }: { children: ReactNode }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [signedIn, setSignedIn] = useState(() => api.isAuthenticated());

  useEffect(() => {
    api.setUnauthorizedHandler(() => {
      setSignedIn(false);
      // Answers cached under the refused token may show more than a visitor may see.
      void queryClient.resetQueries();
    });
    return () => api.setUnauthorizedHandler(undefined);
  }, [api, queryClient]);

  return <SignedInContext.Provider value={signedIn}>{children}</SignedInContext.Provider>;
}
