import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Button, Card, Flex, Input, Tag, Typography, Upload, type UploadFile } from "antd";
import { useState } from "react";
import { useApi } from "../../api";
import type { Schemas } from "../../api/types";
import { ErrorNotice, Loading } from "../../components/ErrorNotice";
import { formatShanghaiTime } from "../../lib/format";
import { downloadWithToken } from "./download";
import { useText, type TextId } from "./text";

export type BookingNote = Schemas["BookingNoteOut"];

const SIDE_COLOURS: Record<string, string> = { booker: "blue", lab: "green", platform: "purple" };

function notesPath(bookingId: string): string {
  return `/bookings/${encodeURIComponent(bookingId)}/notes`;
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * The sample information thread of one booking: the booker's notes and files (sample list,
 * photos, safety data sheet) and the lab's replies, oldest first, with a box to add one.
 */
export function BookingNotes({ bookingId }: { bookingId: string }) {
  const t = useText();
  const api = useApi();
  const queryClient = useQueryClient();
  const [body, setBody] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const key = ["booking", "notes", bookingId];
  const notes = useQuery({ queryKey: key, queryFn: () => api.call<BookingNote[]>(notesPath(bookingId)) });
  const send = useMutation({
    mutationFn: () => {
      const form = new FormData();
      form.set("body", body);
      if (file) form.set("file", file);
      return api.call<BookingNote>(notesPath(bookingId), { method: "POST", body: form });
    },
    onSuccess: (note) => {
      setBody("");
      setFile(null);
      queryClient.setQueryData<BookingNote[]>(key, (old) => [...(old ?? []), note]);
      void queryClient.invalidateQueries({ queryKey: key });
    },
  });
  const download = useMutation({
    mutationFn: (note: BookingNote) =>
      downloadWithToken(
        api,
        `${notesPath(bookingId)}/${encodeURIComponent(note.id)}/attachment`,
        note.attachment?.filename ?? "attachment",
      ),
  });
  const chosen: UploadFile[] = file ? [{ uid: "chosen", name: file.name, status: "done" }] : [];

  return (
    <Card size="small" title={t("notes.title")} data-testid="booking-notes">
      <Typography.Paragraph type="secondary">{t("notes.hint")}</Typography.Paragraph>
      {notes.isPending && <Loading />}
      {notes.error && <ErrorNotice error={notes.error} />}
      {notes.data?.length === 0 && (
        <Typography.Paragraph type="secondary">{t("notes.empty")}</Typography.Paragraph>
      )}
      {!!notes.data?.length && (
        <Flex vertical gap="small" role="list" data-testid="booking-note-list">
          {notes.data.map((note) => (
            <div key={note.id} role="listitem" className="booking-note">
              <Flex gap="small" align="center" wrap>
                <strong>{note.author_name}</strong>
                <Tag color={SIDE_COLOURS[note.author_side] ?? "default"}>
                  {t(`notes.side.${note.author_side}` as TextId)}
                </Tag>
                <Typography.Text type="secondary">{formatShanghaiTime(note.created_at)}</Typography.Text>
              </Flex>
              {note.body && <div style={{ whiteSpace: "pre-wrap" }}>{note.body}</div>}
              {note.attachment && (
                <Button type="link" size="small" onClick={() => download.mutate(note)}>
                  📎 {note.attachment.filename} ({size(note.attachment.size_bytes)})
                </Button>
              )}
            </div>
          ))}
        </Flex>
      )}
      {download.error && <ErrorNotice error={download.error} />}
      {send.error && <ErrorNotice error={send.error} />}
      <Flex vertical gap="small" style={{ marginTop: 12 }}>
        <Input.TextArea
          aria-label={t("notes.placeholder")}
          placeholder={t("notes.placeholder")}
          value={body}
          maxLength={4000}
          autoSize={{ minRows: 2, maxRows: 6 }}
          onChange={(event) => setBody(event.target.value)}
        />
        <Flex gap="small" align="start" wrap>
          <Upload
            fileList={chosen}
            maxCount={1}
            beforeUpload={(picked) => {
              setFile(picked);
              return false;
            }}
            onRemove={() => setFile(null)}
          >
            <Button size="small">{t("notes.attach")}</Button>
          </Upload>
          <Button type="primary" size="small" loading={send.isPending} onClick={() => send.mutate()}>
            {t("notes.send")}
          </Button>
        </Flex>
      </Flex>
    </Card>
  );
}

/** Which rows of a bookings table show their notes, and a toggle for one row. */
export function useOpenNotes(): [string[], (id: string) => void] {
  const [open, setOpen] = useState<string[]>([]);
  const toggle = (id: string) =>
    setOpen((ids) => (ids.includes(id) ? ids.filter((i) => i !== id) : [...ids, id]));
  return [open, toggle];
}

/** The button of a bookings table row that opens its notes underneath. */
export function NotesToggle({ open, onToggle }: { open: boolean; onToggle: () => void }) {
  const t = useText();
  return (
    <Button
      size="small"
      aria-expanded={open}
      aria-label={t("notes.showTitle")}
      title={t("notes.showTitle")}
      data-testid="notes-toggle"
      onClick={onToggle}
    >
      {t("notes.show")}
    </Button>
  );
}
