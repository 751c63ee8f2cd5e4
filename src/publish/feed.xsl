<?xml version="1.0" encoding="utf-8"?>
<!--
  wirefeed: turns an RSS 2.0 or Atom 1.0 output into a readable HTML page when a person
  opens the feed URL in a browser. Feed readers ignore it. Outputs refer to it with
  <?xml-stylesheet type="text/xsl" href="/feed.xsl"?>.

  Summaries arrive as escaped HTML (RSS description, Atom type="html"); they are written
  with disable-output-escaping, which Chromium and WebKit honour. Browsers that ignore it
  (Firefox) show the markup as text, which is still readable. Atom type="xhtml" content is
  copied as markup; type="text" is shown as text.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:atom="http://www.w3.org/2005/Atom"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:content="http://purl.org/rss/1.0/modules/content/"
    exclude-result-prefixes="atom dc content">

  <xsl:output method="html" encoding="utf-8" indent="no"
      doctype-system="about:legacy-compat"/>

  <xsl:template match="/">
    <xsl:choose>
      <xsl:when test="rss/channel">
        <xsl:call-template name="page">
          <xsl:with-param name="title" select="rss/channel/title"/>
          <xsl:with-param name="description" select="rss/channel/description"/>
          <xsl:with-param name="site" select="rss/channel/link"/>
          <xsl:with-param name="format" select="'RSS'"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:when test="atom:feed">
        <xsl:call-template name="page">
          <xsl:with-param name="title" select="atom:feed/atom:title"/>
          <xsl:with-param name="description" select="atom:feed/atom:subtitle"/>
          <xsl:with-param name="site"
              select="atom:feed/atom:link[@rel='alternate' or not(@rel)][1]/@href"/>
          <xsl:with-param name="format" select="'Atom'"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise>
        <html><body><p>This is not an RSS or Atom feed.</p></body></html>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="page">
    <xsl:param name="title"/>
    <xsl:param name="description"/>
    <xsl:param name="site"/>
    <xsl:param name="format"/>
    <html lang="de">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="$title"/> (<xsl:value-of select="$format"/> feed)</title>
        <style>
          body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.5}
          header{border-bottom:2px solid #c60;margin-bottom:1rem}
          .hint{background:#fff4e5;border:1px solid #f0c080;border-radius:4px;padding:.6rem .9rem;font-size:.95rem}
          .hint code{background:#fff;padding:0 .3rem;border:1px solid #e5d0b0;word-break:break-all}
          article{border-bottom:1px solid #ddd;padding:.6rem 0 1rem}
          article h2{font-size:1.15rem;margin:.4rem 0 .2rem}
          article h2 a{color:#0645ad;text-decoration:none}
          article h2 a:hover{text-decoration:underline}
          .date{color:#666;font-size:.85rem}
          .summary img{max-width:100%;height:auto}
          footer{margin-top:2rem;color:#666;font-size:.9rem}
        </style>
      </head>
      <body>
        <header>
          <h1><xsl:value-of select="$title"/></h1>
          <xsl:if test="normalize-space($description)">
            <p class="description"><xsl:value-of select="$description"/></p>
          </xsl:if>
        </header>
        <p class="hint">
          <strong>This is a news feed (<xsl:value-of select="$format"/>).</strong>
          To subscribe, copy the address of this page from the address bar into your
          feed reader. The page below is a preview of its current items.
          <xsl:if test="string($site)">
            Website: <a href="{$site}"><xsl:value-of select="$site"/></a>
          </xsl:if>
        </p>
        <main>
          <xsl:apply-templates select="rss/channel/item | atom:feed/atom:entry"/>
          <xsl:if test="not(rss/channel/item | atom:feed/atom:entry)">
            <p>The feed has no items yet.</p>
          </xsl:if>
        </main>
        <footer><a href="/">All feeds</a></footer>
      </body>
    </html>
  </xsl:template>

  <!-- RSS 2.0 item -->
  <xsl:template match="item">
    <article>
      <h2>
        <xsl:choose>
          <xsl:when test="link">
            <a href="{link}"><xsl:value-of select="title"/></a>
          </xsl:when>
          <xsl:otherwise><xsl:value-of select="title"/></xsl:otherwise>
        </xsl:choose>
      </h2>
      <xsl:if test="pubDate | dc:date">
        <div class="date"><xsl:value-of select="(pubDate | dc:date)[1]"/></div>
      </xsl:if>
      <xsl:if test="description">
        <div class="summary">
          <xsl:value-of select="description" disable-output-escaping="yes"/>
        </div>
      </xsl:if>
    </article>
  </xsl:template>

  <!-- Atom 1.0 entry -->
  <xsl:template match="atom:entry">
    <article>
      <h2>
        <xsl:variable name="href"
            select="atom:link[@rel='alternate' or not(@rel)][1]/@href"/>
        <xsl:choose>
          <xsl:when test="$href">
            <a href="{$href}"><xsl:value-of select="atom:title"/></a>
          </xsl:when>
          <xsl:otherwise><xsl:value-of select="atom:title"/></xsl:otherwise>
        </xsl:choose>
      </h2>
      <xsl:if test="atom:updated | atom:published">
        <div class="date">
          <xsl:call-template name="iso-date">
            <xsl:with-param name="d" select="(atom:published | atom:updated)[1]"/>
          </xsl:call-template>
        </div>
      </xsl:if>
      <xsl:choose>
        <xsl:when test="atom:summary">
          <xsl:apply-templates select="atom:summary" mode="text-construct"/>
        </xsl:when>
        <xsl:when test="atom:content">
          <xsl:apply-templates select="atom:content" mode="text-construct"/>
        </xsl:when>
      </xsl:choose>
    </article>
  </xsl:template>

  <!-- An Atom text construct: html is escaped markup, xhtml is a div, text is text. -->
  <xsl:template match="*" mode="text-construct">
    <div class="summary">
      <xsl:choose>
        <xsl:when test="@type = 'html'">
          <xsl:value-of select="." disable-output-escaping="yes"/>
        </xsl:when>
        <xsl:when test="@type = 'xhtml'">
          <xsl:apply-templates select="*/node()" mode="xhtml"/>
        </xsl:when>
        <xsl:otherwise><xsl:value-of select="."/></xsl:otherwise>
      </xsl:choose>
    </div>
  </xsl:template>

  <!-- XHTML content: re-create the elements without their namespace so the HTML
       output method treats them as HTML. -->
  <xsl:template match="*" mode="xhtml">
    <xsl:element name="{local-name()}">
      <xsl:for-each select="@href | @src | @alt | @title">
        <xsl:attribute name="{local-name()}"><xsl:value-of select="."/></xsl:attribute>
      </xsl:for-each>
      <xsl:apply-templates select="node()" mode="xhtml"/>
    </xsl:element>
  </xsl:template>
  <xsl:template match="text()" mode="xhtml"><xsl:value-of select="."/></xsl:template>

  <!-- 2026-11-27T07:15:00Z → 2026-11-27 07:15 (UTC offset kept as written). -->
  <xsl:template name="iso-date">
    <xsl:param name="d"/>
    <xsl:choose>
      <xsl:when test="string-length($d) &gt;= 16 and substring($d, 11, 1) = 'T'">
        <xsl:value-of select="substring($d, 1, 10)"/>
        <xsl:text> </xsl:text>
        <xsl:value-of select="substring($d, 12, 5)"/>
        <xsl:variable name="zone" select="substring($d, 20)"/>
        <xsl:choose>
          <xsl:when test="contains($zone, 'Z')"> UTC</xsl:when>
          <xsl:when test="contains($zone, '+')"> UTC+<xsl:value-of select="substring-after($zone, '+')"/></xsl:when>
          <xsl:when test="contains($zone, '-')"> UTC-<xsl:value-of select="substring-after($zone, '-')"/></xsl:when>
        </xsl:choose>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$d"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>
</xsl:stylesheet>
