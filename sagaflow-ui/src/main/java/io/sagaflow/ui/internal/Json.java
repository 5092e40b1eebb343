package io.sagaflow.ui.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * JSON for the page. Record contents reach the page only as JSON strings, which the page puts in
 * text nodes (never parsed as HTML); on top of that, {@code <}, {@code >}, {@code &} and quotes are
 * written as {@code \}{@code uXXXX} escapes, so a response never holds markup even if some client
 * sniffed it as HTML.
 */
final class Json {
  static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  static {
    MAPPER.getFactory().setCharacterEscapes(new HtmlSafe());
  }

  /** How many characters of a payload the page gets. */
  static final int PREVIEW_CHARS = 2000;

  private Json() {}

  static ObjectNode object() {
    return NODES.objectNode();
  }

  static byte[] bytes(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("unreachable: a JSON tree always serializes", e);
    }
  }

  static JsonNode parse(byte[] body) {
    try {
      return MAPPER.readTree(body);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("the request body is not JSON: " + e.getMessage());
    }
  }

  /** A JSON value as compact text, cut to {@link #PREVIEW_CHARS}. */
  static String preview(JsonNode node) {
    if (node == null || node.isNull()) {
      return null;
    }
    return cut(node.isTextual() ? node.textValue() : node.toString());
  }

  /** Record bytes as text when they are UTF-8 text, else base64, cut to {@link #PREVIEW_CHARS}. */
  static String preview(byte[] bytes) {
    if (bytes == null) {
      return null;
    }
    try {
      String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes)).toString();
      if (text.chars().allMatch(c -> c >= 0x20 || c == '\n' || c == '\r' || c == '\t')) {
        return cut(text);
      }
    } catch (CharacterCodingException e) {
      // binary: base64 below
    }
    return cut("base64:" + Base64.getEncoder().encodeToString(bytes) + " (" + bytes.length + " bytes)");
  }

  static String cut(String s) {
    return s == null || s.length() <= PREVIEW_CHARS ? s : s.substring(0, PREVIEW_CHARS) + "…";
  }

  /** Escapes the characters that mean something in HTML. */
  private static final class HtmlSafe extends CharacterEscapes {
    private static final long serialVersionUID = 1L;
    private final int[] escapes;

    HtmlSafe() {
      escapes = standardAsciiEscapesForJSON();
      for (char c : new char[] {'<', '>', '&', '\'', '"'}) {
        escapes[c] = CharacterEscapes.ESCAPE_STANDARD;
      }
    }

    @Override
    public int[] getEscapeCodesForAscii() {
      return escapes;
    }

    @Override
    public SerializableString getEscapeSequence(int ch) {
      return null;
    }
  }
}
