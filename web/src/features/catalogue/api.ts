import { useQuery } from "@tanstack/react-query";
import { useApi } from "../../api";
import type { Schemas } from "../../api/types";

export type PublicInstrument = Schemas["PublicInstrumentOut"];
export type CatalogueFacets = Schemas["CatalogueFacetsOut"];

/** An open instrument's public page (no token needed; the same answer with one). */
export function usePublicInstrument(instrumentId: string) {
  const api = useApi();
  return useQuery({
    queryKey: ["catalogue", "public-instrument", instrumentId],
    queryFn: async () =>
      (
        await api.http.GET("/api/v1/public/instruments/{instrument_id}", {
          params: { path: { instrument_id: instrumentId } },
        })
      ).data!,
    // The live state and the free slots move: refresh while the page is open.
    refetchInterval: 60_000,
  });
}

/** The categories and cities of the reader's catalogue, for the filter selects. */
export function useCatalogueFacets() {
  const api = useApi();
  return useQuery({
    queryKey: ["catalogue", "facets"],
    queryFn: async () => (await api.http.GET("/api/v1/catalogue/facets")).data!,
    staleTime: 5 * 60_000,
  });
}
